// SPDX-License-Identifier: MIT
#pragma once

#include <QLocale>
#include <QString>

class QCoreApplication;

namespace voxtrack {

/// Installs Voxtrack's and Qt's translators for a language on the application. An empty
/// name follows the system (LANGUAGE, LC_ALL, LANG…); "en" or "C" means no translation.
/// Returns the language actually loaded ("" when none).
QString installTranslators(QCoreApplication& application, const QString& language = {});

} // namespace voxtrack
