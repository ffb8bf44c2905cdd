// SPDX-License-Identifier: MIT
#include "models/doctorreportmodel.h"

#include <algorithm>

namespace voxtrack::models {

using store::CheckResult;
using store::Severity;

namespace {

/// Sort key of a row: failed errors, warnings, notes, then not checked, then passed.
int urgency(const CheckResult& check)
{
    switch (check.status) {
    case CheckResult::Status::Failed:
        switch (check.severity) {
        case Severity::Error:
            return 0;
        case Severity::Warning:
            return 1;
        case Severity::Info:
            return 2;
        }
        break;
    case CheckResult::Status::NotChecked:
        return 3;
    case CheckResult::Status::Passed:
        return 4;
    }
    return 5;
}

} // namespace

DoctorReportModel::DoctorReportModel(QObject* parent)
    : QAbstractTableModel(parent)
{
}

void DoctorReportModel::setReport(store::DoctorReport report)
{
    beginResetModel();
    m_report = std::move(report);
    std::stable_sort(m_report.checks.begin(), m_report.checks.end(),
        [](const CheckResult& a, const CheckResult& b) { return urgency(a) < urgency(b); });
    m_hasReport = true;
    endResetModel();
}

void DoctorReportModel::clear()
{
    beginResetModel();
    m_report = {};
    m_hasReport = false;
    endResetModel();
}

int DoctorReportModel::rowOf(QStringView checkId) const
{
    for (int row = 0; row < m_report.checks.size(); ++row) {
        if (m_report.checks.at(row).id == checkId)
            return row;
    }
    return -1;
}

int DoctorReportModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_report.checks.size());
}

int DoctorReportModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString DoctorReportModel::stateName(const CheckResult& check)
{
    switch (check.status) {
    case CheckResult::Status::Passed:
        return tr("Passed");
    case CheckResult::Status::NotChecked:
        return tr("Not checked");
    case CheckResult::Status::Failed:
        break;
    }
    switch (check.severity) {
    case Severity::Error:
        return tr("Error");
    case Severity::Warning:
        return tr("Warning");
    case Severity::Info:
        return tr("Note");
    }
    return {};
}

QVariant DoctorReportModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CheckResult& check = m_report.checks.at(index.row());
    const bool notChecked = check.status == CheckResult::Status::NotChecked;

    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case SeverityColumn:
            return stateName(check);
        case CheckColumn:
            return check.id;
        case CountColumn:
            return notChecked ? QVariant() : QVariant(check.count);
        case FindingColumn:
            return check.title;
        case SamplesColumn:
            return check.samples.join(QStringLiteral(", "));
        case HintColumn:
            // A hint says how to fix a failure; for a check that could not run, why it could not
            // is what the reader needs.
            return notChecked ? tr("Not checked: %1").arg(check.reason) : check.hint;
        case ColumnCount:
            break;
        }
        return {};
    case Qt::ToolTipRole:
        switch (Column(index.column())) {
        case FindingColumn:
            return check.title;
        case SamplesColumn:
            return check.samples.isEmpty() ? QVariant() : QVariant(check.samples.join(u'\n'));
        case HintColumn:
            return data(index, Qt::DisplayRole);
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (index.column() == CountColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case SeverityRole:
        return int(check.severity);
    case StatusRole:
        return int(check.status);
    case CheckResultRole:
        return QVariant::fromValue(check);
    case CheckIdRole:
        return check.id;
    default:
        return {};
    }
}

QVariant DoctorReportModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case SeverityColumn:
        return tr("Severity");
    case CheckColumn:
        return tr("Check");
    case CountColumn:
        return tr("Count");
    case FindingColumn:
        return tr("Finding");
    case SamplesColumn:
        return tr("Samples");
    case HintColumn:
        return tr("Hint");
    case ColumnCount:
        break;
    }
    return {};
}

QHash<int, QByteArray> DoctorReportModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(SeverityRole, "severity");
    names.insert(StatusRole, "status");
    names.insert(CheckResultRole, "checkResult");
    names.insert(CheckIdRole, "checkId");
    return names;
}

} // namespace voxtrack::models
