// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace voxtrack::store {

class Connection;

enum class Severity { Error, Warning, Info };
[[nodiscard]] QString severityName(Severity severity);

/// The outcome of one doctor check.
struct CheckResult {
    enum class Status { Passed, Failed, NotChecked };

    QString id; ///< stable: "schema.role_check_missing", "data.orphan_messages", …
    Severity severity = Severity::Error; ///< how bad a failure of this check is
    Status status = Status::Passed;
    QString title; ///< what the check looks for, one line
    qint64 count = 0; ///< offending rows or schema objects
    QStringList samples; ///< up to DoctorOptions::sampleLimit keys of offending rows or objects
    QString hint; ///< what to do about a failure
    QString reason; ///< why a NotChecked check could not run

    [[nodiscard]] bool failed() const { return status == Status::Failed; }
    [[nodiscard]] QString statusName() const;
};

struct DoctorOptions {
    qint64 staleAfterSeconds = qint64(24) * 3600; ///< an active session older than this is stale
    double toleranceSeconds = 1.0; ///< allowed disagreement between timestamps and durations
    int sampleLimit = 5;
};

struct DoctorReport {
    QString database; ///< display form of the URL, no password
    QString backend; ///< "postgresql" or "sqlite"
    int schemaVersion = 0;
    QList<CheckResult> checks;

    [[nodiscard]] int count(Severity severity) const; ///< failed checks of that severity
    [[nodiscard]] int notChecked() const;
    [[nodiscard]] bool hasErrors() const { return count(Severity::Error) > 0; }
    [[nodiscard]] const CheckResult* check(QStringView id) const;
    [[nodiscard]] QStringList failedIds() const;
    /// Stable form for programs: {database, backend, schema_version, summary{…}, checks[…]}.
    [[nodiscard]] QJsonObject toJson() const;
    /// A readable table of the failed and unchecked checks, then a summary line.
    [[nodiscard]] QString toText() const;
};

/// Checks a database against the invariants of conversation tracking: schema (tables,
/// columns, the role check and its exact set, the session foreign key, NOT NULLs, unique
/// keys, indexes, the legacy shape) and data (roles, orphans, NULL session ids, session
/// state, durations, timestamps, counts, duplicates). Only reads. Runs on any database of
/// the conversation tables' shape; checks whose columns are missing report NotChecked.
class Doctor {
public:
    explicit Doctor(Connection& connection, DoctorOptions options = {});

    /// Error codes: doctor.not_conversation_db (neither table exists), db.query.
    [[nodiscard]] Expected<DoctorReport> run();

    /// Every check the doctor knows, in report order: id, severity, title, hint.
    [[nodiscard]] static QList<CheckResult> catalogue();

private:
    Connection& m_connection;
    DoctorOptions m_options;
};

} // namespace voxtrack::store
