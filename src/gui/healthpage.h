// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "store/doctor.h"

#include <QElapsedTimer>
#include <QWidget>

#include <memory>
#include <optional>

class QModelIndex;

namespace Ui {
class HealthPage;
}

namespace voxtrack::models {
class DoctorReportModel;
class DoctorRunner;
} // namespace voxtrack::models

namespace voxtrack::gui {

/// The Health tab: runs the doctor on a database URL and shows its findings, most urgent
/// first, with the selected check's samples and hint below. The doctor runs off the GUI thread.
class HealthPage : public QWidget {
    Q_OBJECT

public:
    explicit HealthPage(QWidget* parent = nullptr);
    ~HealthPage() override;

    /// The database checked: the URL set, else the text of the URL field.
    [[nodiscard]] QString databaseUrl() const;
    void setDatabaseUrl(const QString& url);
    /// Checks this database (a connection chosen elsewhere): the URL field is hidden, since the
    /// URL may hold a password. Runs the doctor.
    void setDatabase(const DatabaseUrl& url);
    /// The session a doctor's sample names, or empty: "17 (assistant, session abc)" → "abc",
    /// a sample of a session check → its session id.
    [[nodiscard]] static QString sessionOfSample(const QString& checkId, const QString& sample);
    [[nodiscard]] models::DoctorReportModel* model() const { return m_model; }

    /// "2 errors, 1 warning, 0 notes, 0 not checked".
    [[nodiscard]] static QString summaryText(const store::DoctorReport& report);

    /// Runs the doctor on the URL in the line edit; a run still going is superseded.
    void runDoctor();

Q_SIGNALS:
    /// A one-line message for the status bar.
    void statusMessage(const QString& message);
    /// A run ended and its outcome is shown: a report (ok) or the reason it could not run.
    void doctorFinished(bool ok);
    /// A sample naming a session was clicked.
    void sessionRequested(const QString& sessionId);

private:
    void showRunning(const QString& urlText);
    void showReport(const store::DoctorReport& report);
    void showError(const Error& error);
    void showDetails(const QModelIndex& current);
    enum class Tone { Normal, Error };
    void setSummary(const QString& text, const QIcon& icon, Tone tone);

    std::unique_ptr<Ui::HealthPage> ui;
    models::DoctorReportModel* m_model;
    models::DoctorRunner* m_runner;
    QElapsedTimer m_runTime;
    std::optional<DatabaseUrl> m_database;
};

} // namespace voxtrack::gui
