// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "store/doctor.h"

#include <QMetaType>

// Store and core types carried in QVariants and across threads by queued signals. They live
// here, not next to the types, because core and store do not need them; move them there if
// another library starts to.
Q_DECLARE_METATYPE(voxtrack::store::CheckResult)
Q_DECLARE_METATYPE(voxtrack::store::DoctorReport)
