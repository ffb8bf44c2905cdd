// SPDX-License-Identifier: MIT
#include "gui/severitystyle.h"

#include "models/doctorreportmodel.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>

namespace voxtrack::gui {

using store::CheckResult;
using store::Severity;

QColor severityColor(CheckResult::Status status, Severity severity, const QPalette& palette)
{
    const bool dark = palette.color(QPalette::Base).lightness() < 128;
    switch (status) {
    case CheckResult::Status::Passed:
        return dark ? QColor(0x8f, 0xd1, 0x8f) : QColor(0x1e, 0x7b, 0x34);
    case CheckResult::Status::NotChecked:
        return palette.color(QPalette::Disabled, QPalette::Text);
    case CheckResult::Status::Failed:
        break;
    }
    switch (severity) {
    case Severity::Error:
        return dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xc0, 0x1c, 0x28);
    case Severity::Warning:
        return dark ? QColor(0xf0, 0xc0, 0x5a) : QColor(0x9a, 0x67, 0x00);
    case Severity::Info:
        return dark ? QColor(0x79, 0xc0, 0xff) : QColor(0x1a, 0x5f, 0xb4);
    }
    return palette.color(QPalette::Text);
}

QIcon severityIcon(CheckResult::Status status, Severity severity, const QStyle* style)
{
    if (!style)
        style = QApplication::style();
    switch (status) {
    case CheckResult::Status::Passed:
        return style->standardIcon(QStyle::SP_DialogApplyButton);
    case CheckResult::Status::NotChecked:
        return style->standardIcon(QStyle::SP_MessageBoxQuestion);
    case CheckResult::Status::Failed:
        break;
    }
    switch (severity) {
    case Severity::Error:
        return style->standardIcon(QStyle::SP_MessageBoxCritical);
    case Severity::Warning:
        return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Severity::Info:
        return style->standardIcon(QStyle::SP_MessageBoxInformation);
    }
    return {};
}

void SeverityDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const auto status = CheckResult::Status(index.data(models::DoctorReportModel::StatusRole).toInt());
    const auto severity = Severity(index.data(models::DoctorReportModel::SeverityRole).toInt());
    if (index.column() == models::DoctorReportModel::SeverityColumn) {
        option->icon = severityIcon(status, severity, option->widget ? option->widget->style() : nullptr);
        option->features |= QStyleOptionViewItem::HasDecoration;
        option->palette.setColor(QPalette::Text, severityColor(status, severity, option->palette));
        if (status == CheckResult::Status::Failed && severity == Severity::Error)
            option->font.setBold(true);
    } else if (status != CheckResult::Status::Failed) {
        option->palette.setColor(QPalette::Text, option->palette.color(QPalette::Disabled, QPalette::Text));
    }
}

} // namespace voxtrack::gui
