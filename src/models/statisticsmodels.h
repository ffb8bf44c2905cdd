// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "store/statistics.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <optional>

namespace voxtrack::models {

/// What the statistics models share: their rows change only when results are set, and rows whose
/// key (bucket start, bin, role) is still there are updated in place (dataChanged), new rows at
/// the end are inserted and missing ones at the end removed; anything else resets the model.
/// DisplayRole is text for people; ValueRole gives the raw value a chart plots.
class StatisticsTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Role {
        ValueRole = Qt::UserRole, ///< the raw value: QDateTime (UTC), double or qint64, per column
        FirstCustomRole, ///< the first role a model may add
    };
    Q_ENUM(Role)

    /// True once results were set, even empty ones.
    [[nodiscard]] bool hasResults() const { return m_hasResults; }

    [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

protected:
    StatisticsTableModel(int columns, QObject* parent);

    /// Replaces rows by next as the class comment says; sameKey(a, b) tells rows of the same key.
    template <typename Row, typename SameKey> void replaceRows(QList<Row>& rows, QList<Row> next, SameKey sameKey);
    void setHasResults() { m_hasResults = true; }

private:
    int m_columns;
    bool m_hasResults = false;
};

/// Counts per time bucket, one row per bucket in time order. Start is shown in UTC ("12:00", with
/// the date when the series spans more than one day, "2025-10-18" for days and weeks).
class TimeSeriesModel : public StatisticsTableModel {
    Q_OBJECT

public:
    enum Column { StartColumn, CountColumn, ColumnCount };
    Q_ENUM(Column)

    void setSeries(store::TimeSeries series);
    [[nodiscard]] const store::TimeSeries& series() const { return m_series; }
    [[nodiscard]] store::Bucket bucket() const { return m_series.bucket; }

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    explicit TimeSeriesModel(QObject* parent);
    /// The count column's title.
    [[nodiscard]] virtual QString countTitle() const = 0;

private:
    [[nodiscard]] bool showsDate() const;

    store::TimeSeries m_series;
};

/// store::sessionsPerBucket(): sessions started per bucket.
class SessionsPerBucketModel final : public TimeSeriesModel {
    Q_OBJECT

public:
    explicit SessionsPerBucketModel(QObject* parent = nullptr);

protected:
    [[nodiscard]] QString countTitle() const override;
};

/// store::activeSessionsOverTime(): sessions open at some moment of each bucket.
class ActiveSessionsModel final : public TimeSeriesModel {
    Q_OBJECT

public:
    explicit ActiveSessionsModel(QObject* parent = nullptr);

protected:
    [[nodiscard]] QString countTitle() const override;
};

/// A histogram of fixed bins, one row per bin in order. ValueRole of To is invalid for the last,
/// open-ended bin.
class HistogramModel : public StatisticsTableModel {
    Q_OBJECT

public:
    enum Column { RangeColumn, FromColumn, ToColumn, CountColumn, ColumnCount };
    Q_ENUM(Column)

    struct Bin {
        QString label;
        double lower = 0;
        std::optional<double> upper;
        qint64 count = 0;

        friend bool operator==(const Bin&, const Bin&) = default;
    };

    [[nodiscard]] const QList<Bin>& histogramBins() const { return m_bins; }
    /// The sum of every bin.
    [[nodiscard]] qint64 total() const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    explicit HistogramModel(QObject* parent);
    void setHistogramBins(QList<Bin> bins);
    /// A bin bound for people, "2 min", "250 ms".
    [[nodiscard]] virtual QString formatBound(double value) const = 0;
    [[nodiscard]] virtual QString rangeTitle() const = 0;
    [[nodiscard]] virtual QString countTitle() const = 0;

private:
    QList<Bin> m_bins;
};

/// store::durationHistogram(): ended sessions by duration; From and To in seconds.
class DurationHistogramModel final : public HistogramModel {
    Q_OBJECT

public:
    explicit DurationHistogramModel(QObject* parent = nullptr);
    void setBins(const QList<store::DurationBin>& bins);

protected:
    [[nodiscard]] QString formatBound(double seconds) const override;
    [[nodiscard]] QString rangeTitle() const override;
    [[nodiscard]] QString countTitle() const override;
};

/// The histogram of store::replyLatency(): agent replies by latency; From and To in milliseconds.
class LatencyHistogramModel final : public HistogramModel {
    Q_OBJECT

public:
    explicit LatencyHistogramModel(QObject* parent = nullptr);
    void setLatency(const store::ReplyLatency& latency);

protected:
    [[nodiscard]] QString formatBound(double ms) const override;
    [[nodiscard]] QString rangeTitle() const override;
    [[nodiscard]] QString countTitle() const override;
};

/// The percentiles of store::replyLatency(): rows p50, p90, p95 and p99; no rows when there is no
/// data. ValueRole: the fraction (0.5) for Percentile, milliseconds for Latency.
class LatencyPercentilesModel final : public StatisticsTableModel {
    Q_OBJECT

public:
    enum Column { PercentileColumn, LatencyColumn, ColumnCount };
    Q_ENUM(Column)

    explicit LatencyPercentilesModel(QObject* parent = nullptr);

    void setLatency(store::ReplyLatency latency);
    [[nodiscard]] const store::ReplyLatency& latency() const { return m_latency; }
    /// How many replies the percentiles are computed from (0: no data).
    [[nodiscard]] qint64 sampleCount() const { return m_latency.count; }

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// Milliseconds for people: "850 ms", "1.25 s".
    [[nodiscard]] static QString formatLatency(double ms);

private:
    struct Row {
        double fraction = 0;
        double ms = 0;
        friend bool operator==(const Row&, const Row&) = default;
    };
    store::ReplyLatency m_latency;
    QList<Row> m_rows;
};

/// store::messagesByRole(): one row per role present, user, agent, system, then others as stored.
/// A role outside user/agent/system is flagged by AllowedRole (false) and explained in its tooltip.
class MessagesByRoleModel final : public StatisticsTableModel {
    Q_OBJECT

public:
    enum Column { RoleColumn, CountColumn, ShareColumn, ColumnCount };
    Q_ENUM(Column)
    enum Role {
        AllowedRole = StatisticsTableModel::FirstCustomRole, ///< bool: the role is user, agent or system
    };
    Q_ENUM(Role)

    explicit MessagesByRoleModel(QObject* parent = nullptr);

    void setCounts(QList<store::RoleCount> counts);
    [[nodiscard]] const QList<store::RoleCount>& counts() const { return m_counts; }
    [[nodiscard]] qint64 total() const;

    [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QHash<int, QByteArray> roleNames() const override;

private:
    QList<store::RoleCount> m_counts;
};

/// Computes the statistics off the calling thread and feeds them to its models. Each run opens
/// its own read-only connection in a worker thread (a QSqlDatabase may only be used by the thread
/// that opened it), so a slow or unreachable server never blocks the GUI; results come back as a
/// queued call on the loader's thread, and only then do the models change: while a run is under
/// way they keep the previous numbers.
///
/// Only the latest run reports: reload() while another run is going supersedes it (the older run
/// stops at its next statistic and its results are dropped). Runs go one at a time, so frequent
/// reloads (one per database change) never pile up connections. A run stops at its first failure:
/// the statistics computed before it are delivered (loaded()), then failed(). Destroying the
/// loader waits for the run in progress, bounded by the connection's connect timeout.
class StatisticsLoader : public QObject {
    Q_OBJECT

public:
    enum class Statistic {
        SessionsPerBucket = 0x01,
        DurationHistogram = 0x02,
        MessagesByRole = 0x04,
        ActiveSessions = 0x08,
        ReplyLatency = 0x10,
        All = 0x1f,
    };
    Q_DECLARE_FLAGS(Statistics, Statistic)
    Q_FLAG(Statistics)

    explicit StatisticsLoader(QObject* parent = nullptr);
    ~StatisticsLoader() override;

    /// The database, a URL as DatabaseUrl::parse takes it. Settings take effect at the next reload().
    void setDatabaseUrl(const QString& urlText) { m_urlText = urlText; }
    [[nodiscard]] QString databaseUrl() const { return m_urlText; }
    /// started_at (sessions) or created_at (messages) from, inclusive, to to, exclusive; an invalid
    /// bound leaves that side open.
    void setRange(const QDateTime& from, const QDateTime& to) { m_range = {from, to}; }
    [[nodiscard]] store::TimeRange range() const { return m_range; }
    /// The bucket of the two time series (Auto by default).
    void setBucket(store::Bucket bucket) { m_bucket = bucket; }
    [[nodiscard]] store::Bucket bucket() const { return m_bucket; }

    /// Computes statistics (all by default) with the current settings. Always answers
    /// asynchronously, with loaded() or failed(), a malformed URL included.
    void reload(Statistics statistics = Statistic::All);
    /// Drops the results of the run in progress, if any: no signal will come for it.
    void cancel();
    [[nodiscard]] bool isLoading() const { return m_loading; }

    [[nodiscard]] SessionsPerBucketModel* sessionsPerBucketModel() const { return m_sessionsPerBucket; }
    [[nodiscard]] DurationHistogramModel* durationHistogramModel() const { return m_durations; }
    [[nodiscard]] MessagesByRoleModel* messagesByRoleModel() const { return m_roles; }
    [[nodiscard]] ActiveSessionsModel* activeSessionsModel() const { return m_activeSessions; }
    [[nodiscard]] LatencyPercentilesModel* latencyPercentilesModel() const { return m_latencyPercentiles; }
    [[nodiscard]] LatencyHistogramModel* latencyHistogramModel() const { return m_latencyHistogram; }

Q_SIGNALS:
    void loadingChanged(bool loading);
    /// The models of these statistics have their new numbers.
    void loaded(voxtrack::models::StatisticsLoader::Statistics statistics);
    /// A run could not complete: a bad URL, an unreachable server, not a conversation database…
    void failed(const voxtrack::Error& error);

private:
    struct Results;
    void deliver(quint64 generation, const Results& results);
    void setLoading(bool loading);

    QString m_urlText;
    store::TimeRange m_range;
    store::Bucket m_bucket = store::Bucket::Auto;

    SessionsPerBucketModel* m_sessionsPerBucket;
    DurationHistogramModel* m_durations;
    MessagesByRoleModel* m_roles;
    ActiveSessionsModel* m_activeSessions;
    LatencyPercentilesModel* m_latencyPercentiles;
    LatencyHistogramModel* m_latencyHistogram;

    QThreadPool m_pool;
    /// Incremented by every reload() and cancel(); a result of an older generation is stale.
    std::atomic<quint64> m_generation {0};
    bool m_loading = false;
};

Q_DECLARE_OPERATORS_FOR_FLAGS(StatisticsLoader::Statistics)

} // namespace voxtrack::models
