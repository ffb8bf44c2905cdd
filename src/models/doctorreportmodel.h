// SPDX-License-Identifier: MIT
#pragma once

#include "models/metatypes.h"
#include "store/doctor.h"

#include <QAbstractTableModel>

namespace voxtrack::models {

/// The checks of one doctor report as a table, most urgent first: failed errors, failed
/// warnings, failed notes (Info), checks that could not run, then the checks that passed;
/// within each group in the doctor's own order. GUI-free: views decorate rows from
/// SeverityRole and StatusRole (colours, icons).
class DoctorReportModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { SeverityColumn, CheckColumn, CountColumn, FindingColumn, SamplesColumn, HintColumn, ColumnCount };
    Q_ENUM(Column)

    enum Role {
        SeverityRole = Qt::UserRole, ///< store::Severity of the check, as an int
        StatusRole, ///< store::CheckResult::Status of the check, as an int
        CheckResultRole, ///< the whole store::CheckResult
        CheckIdRole, ///< the stable id, "data.orphan_messages"
    };
    Q_ENUM(Role)

    explicit DoctorReportModel(QObject* parent = nullptr);

    /// Replaces the report (a model reset: selections and the current index are lost).
    void setReport(store::DoctorReport report);
    /// Removes every row: no report.
    void clear();
    [[nodiscard]] bool hasReport() const { return m_hasReport; }
    /// The report shown, its checks in row order.
    [[nodiscard]] const store::DoctorReport& report() const { return m_report; }
    [[nodiscard]] const store::CheckResult& checkAt(int row) const { return m_report.checks.at(row); }
    /// The row of a check id, or -1.
    [[nodiscard]] int rowOf(QStringView checkId) const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

    /// The display word for a check's state: "Error", "Warning", "Note" for a failed check,
    /// "Not checked", "Passed".
    [[nodiscard]] static QString stateName(const store::CheckResult& check);

private:
    store::DoctorReport m_report;
    bool m_hasReport = false;
};

} // namespace voxtrack::models
