// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QChart>
#include <QElapsedTimer>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <array>
#include <chrono>
#include <memory>
#include <optional>

class QAbstractAxis;
class QBarCategoryAxis;
class QBarSeries;
class QChartView;
class QDateTimeAxis;
class QGraphicsSimpleTextItem;
class QLineSeries;
class QPieSeries;
class QToolButton;
class QValueAxis;

namespace Ui {
class DashboardPage;
}

namespace voxtrack::store {
class ChangeFeed;
}

namespace voxtrack::models {
class StatisticsLoader;
}

namespace voxtrack::gui {

/// The Dashboard tab: four charts of a database's statistics (sessions over time, session
/// durations, messages by role, reply latency) that follow the models of a
/// models::StatisticsLoader through QtCharts model mappers. The statistics are computed off the
/// GUI thread; the charts keep their numbers until new ones arrive.
///
/// Live: with a change feed, every change to the conversation tables reloads the statistics, at
/// most once every two seconds, and not while the page is hidden (it reloads when shown again if
/// something changed meanwhile).
class DashboardPage : public QWidget {
    Q_OBJECT

public:
    enum class Chart { SessionsOverTime, Durations, MessagesByRole, ReplyLatency };
    Q_ENUM(Chart)

    /// The time ranges offered, counted back from the moment of each reload.
    enum class Range { LastHour, LastDay, LastWeek, AllTime };
    Q_ENUM(Range)

    /// At most one live reload per this interval.
    static constexpr std::chrono::milliseconds liveReloadInterval {2000};

    explicit DashboardPage(QWidget* parent = nullptr);
    ~DashboardPage() override;

    /// Shows the statistics of url and reloads them. feed (not owned, may be null) is the main
    /// window's change feed of the same database: its changes reload the charts while Live is on.
    /// The page stops following it when it is destroyed.
    void setDatabase(const voxtrack::DatabaseUrl& url, store::ChangeFeed* feed);
    [[nodiscard]] models::StatisticsLoader* loader() const { return m_loader; }

    /// The chart shown in a cell of the grid; owned by its view.
    [[nodiscard]] QChart* chart(Chart which) const;
    /// Writes the chart as drawn, at its size on screen, to a PNG file. False (and statusMessage())
    /// when the file cannot be written.
    bool exportChart(Chart which, const QString& file);

    [[nodiscard]] Range range() const;
    void setRange(Range range);
    [[nodiscard]] bool isLive() const;
    void setLive(bool live);
    /// The line above the charts: "Updated 12:03:04 · 1,234 sessions", or what went wrong.
    [[nodiscard]] QString statusText() const;

public Q_SLOTS:
    /// Computes the statistics again with the range and bucket chosen. Does nothing without a
    /// database.
    void reload();

Q_SIGNALS:
    void statusMessage(const QString& message);
    /// The charts show the numbers of the latest reload (emitted also when it failed part-way).
    void reloaded();

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;
    void changeEvent(QEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    struct ChartCell {
        QChartView* view = nullptr;
        QToolButton* exportButton = nullptr;
        QGraphicsSimpleTextItem* emptyText = nullptr;
    };

    void setUpSessionsChart();
    void setUpDurationsChart();
    void setUpRolesChart();
    void setUpLatencyChart();
    void setUpCell(Chart which, QChartView* view);
    void setUpLiveFeed(store::ChangeFeed* feed);

    void databaseChanged();
    void loaded();
    void failed(const Error& error);
    void finishSoon();
    [[nodiscard]] qint64 sessionCount() const;
    void updateCharts();
    void styleBars();
    void updateSessionsChart();
    void updateDurationsChart();
    void updateRolesChart();
    void updateLatencyChart();
    void showLatencyHistogram(bool histogram);
    /// Shows text over an empty chart (and hides its axes), or nothing when text is empty.
    void setEmptyText(Chart which, const QString& text);
    void placeOverlays(Chart which);
    void applyTheme();
    void exportWithDialog(Chart which);
    [[nodiscard]] QString emptyText() const;
    [[nodiscard]] QColor errorColor() const;

    std::unique_ptr<Ui::DashboardPage> ui;
    models::StatisticsLoader* m_loader;
    std::optional<DatabaseUrl> m_url;
    QPointer<store::ChangeFeed> m_feed;
    QList<QMetaObject::Connection> m_feedConnections;

    std::array<ChartCell, 4> m_cells;

    QLineSeries* m_startedSeries = nullptr;
    QLineSeries* m_activeSeries = nullptr;
    QDateTimeAxis* m_timeAxis = nullptr;
    QValueAxis* m_sessionsAxis = nullptr;

    QBarSeries* m_durationSeries = nullptr;
    QBarCategoryAxis* m_durationBins = nullptr;
    QValueAxis* m_durationCounts = nullptr;

    QPieSeries* m_roleSeries = nullptr;

    QBarSeries* m_percentileSeries = nullptr;
    QBarCategoryAxis* m_percentileNames = nullptr;
    QValueAxis* m_percentileMs = nullptr;
    QBarSeries* m_latencySeries = nullptr;
    QBarCategoryAxis* m_latencyBins = nullptr;
    QValueAxis* m_latencyCounts = nullptr;
    QToolButton* m_latencyViewButton = nullptr;

    QTimer m_liveDelay; ///< the next live reload, when one came less than liveReloadInterval ago
    QElapsedTimer m_sinceReload;
    /// A change came while the page was hidden or Live was off: reload when that ends.
    bool m_changedWhileHidden = false;
    bool m_finishPending = false;
    QString m_status;
    bool m_statusIsError = false;
};

} // namespace voxtrack::gui
