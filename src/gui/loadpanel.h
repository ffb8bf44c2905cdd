// SPDX-License-Identifier: MIT
#pragma once

#include "client/scenario.h"
#include "core/databaseurl.h"

#include <QList>
#include <QPointF>
#include <QTimer>
#include <QUrl>
#include <QWidget>

#include <memory>
#include <optional>

namespace Ui {
class LoadPanel;
}

QT_BEGIN_NAMESPACE
class QChart;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace voxtrack::client {
class LoadRunner;
struct RunProgress;
} // namespace voxtrack::client

namespace voxtrack::gui {

/// The Simulator's load panel: a scenario (built in or from a file) with its numbers
/// overridden, run by a client::LoadRunner in the GUI thread's event loop (its sessions run on
/// threads of their own), with a progress line, live charts of messages per second and reply
/// latency percentiles, and the run's summary when it is over.
class LoadPanel : public QWidget {
    Q_OBJECT

public:
    /// The most recent points a chart series keeps: about five minutes at one point a second,
    /// so that a run left going for hours stays light.
    static constexpr int maxChartPoints = 300;

    explicit LoadPanel(QWidget* parent = nullptr);
    /// Aborts a run still going (its open connections are dropped).
    ~LoadPanel() override;

    /// The server's conversation endpoint (ws://host:port/v1/conversation); empty: none, and
    /// Start is disabled.
    void setServerUrl(const QUrl& conversationUrl);
    [[nodiscard]] QUrl serverUrl() const { return m_serverUrl; }
    /// The database the server writes to: with one, each session can be verified against it
    /// after it ended. std::nullopt: none, and verification is off.
    void setDatabase(const std::optional<voxtrack::DatabaseUrl>& url);

    /// Loads a scenario, a built-in resource path (":/voxtrack/scenarios/tesla.json") or a file,
    /// makes it the selected one and fills the overrides from it. false when it does not load:
    /// its error is shown in the panel and Start stays disabled until a scenario loads.
    bool selectScenario(const QString& path);
    /// The path of the selected scenario, or empty.
    [[nodiscard]] QString scenarioPath() const { return m_scenarioPath; }
    /// Why the selected scenario did not load, or empty.
    [[nodiscard]] QString scenarioError() const;

    void setSessions(int n);
    void setConcurrency(int n);
    /// Sessions started per second; 0: as fast as the concurrency allows.
    void setArrivalRate(double perSecond);
    /// Ignored without a database.
    void setVerifyDatabase(bool verify);

    /// Runs the selected scenario with the overrides against the server. Does nothing while a
    /// run is going or when Start is disabled; a run that cannot start says why in the panel.
    void start();
    /// The first call stops gracefully (no new session; open ones finish their turn and end),
    /// the second drops the open connections.
    void stop();
    [[nodiscard]] bool isRunning() const;
    /// The current or last run, or null. Owned by the panel; replaced by the next start().
    [[nodiscard]] client::LoadRunner* runner() const { return m_runner.get(); }

Q_SIGNALS:
    void runStarted();
    /// The run is over: runner() holds its report.
    void runFinished();
    void statusMessage(const QString& message);

private:
    struct Chart {
        QChart* chart = nullptr;
        QValueAxis* x = nullptr;
        QValueAxis* y = nullptr;
    };

    void addBuiltInScenarios();
    void openScenarioFile();
    void onScenarioChosen(int index);
    void fillOverrides(const client::Scenario& scenario);
    void showScenarioError(const QString& message);
    void updateControls();
    void poll();
    void onFinished();
    void showProgress(const client::RunProgress& progress);
    void addChartPoints(const client::RunProgress& progress);
    void clearCharts();
    void showSummary();
    Chart makeChart(const QString& yTitle);
    static void append(QLineSeries* series, QList<QPointF>& points, QPointF point);
    void rescale(const Chart& chart, double now, double yMax);

    std::unique_ptr<Ui::LoadPanel> ui;
    QUrl m_serverUrl;
    std::optional<DatabaseUrl> m_database;
    std::optional<client::Scenario> m_scenario;
    QString m_scenarioPath;
    std::unique_ptr<client::LoadRunner> m_runner;
    QTimer m_poll;
    int m_stops = 0;
    double m_lastWindowEnd = 0;

    Chart m_rateChart;
    Chart m_latencyChart;
    QLineSeries* m_rateSeries = nullptr;
    QLineSeries* m_p50Series = nullptr;
    QLineSeries* m_p95Series = nullptr;
    QLineSeries* m_p99Series = nullptr;
    QList<QPointF> m_ratePoints;
    QList<QPointF> m_p50Points;
    QList<QPointF> m_p95Points;
    QList<QPointF> m_p99Points;
};

} // namespace voxtrack::gui
