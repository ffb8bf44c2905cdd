// SPDX-License-Identifier: MIT
#pragma once

#include "store/doctor.h"

#include <QColor>
#include <QIcon>
#include <QStyledItemDelegate>

class QPalette;
class QStyle;

namespace voxtrack::gui {

/// The colour a check's state is drawn in: red for a failed error, amber for a warning, blue for
/// a note, grey for not checked, green for passed; lighter shades on a dark palette.
[[nodiscard]] QColor severityColor(
    store::CheckResult::Status status, store::Severity severity, const QPalette& palette);
/// A standard style icon for a check's state.
[[nodiscard]] QIcon severityIcon(store::CheckResult::Status status, store::Severity severity, const QStyle* style);

/// Draws rows of a models::DoctorReportModel: the severity column with its icon and colour,
/// the other columns of passed checks dimmed so the findings stand out.
class SeverityDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};

} // namespace voxtrack::gui
