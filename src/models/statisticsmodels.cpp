// SPDX-License-Identifier: MIT
#include "models/statisticsmodels.h"

#include "core/databaseurl.h"
#include "store/connection.h"

#include <QLocale>
#include <QMetaObject>
#include <QTimeZone>

#include <cmath>
#include <optional>

namespace voxtrack::models {

namespace {

/// value rounded to at most decimals digits after the point, without trailing zeros, in the
/// user's locale: "2", "1.5", "6.35".
QString shortNumber(double value, int decimals)
{
    const double scale = std::pow(10.0, decimals);
    return QLocale().toString(std::round(value * scale) / scale, 'f', QLocale::FloatingPointShortest);
}

QString countText(qint64 count)
{
    return QLocale().toString(count);
}

QVariant rightAligned()
{
    return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
}

/// Moves a result into its slot, or returns its error.
template <typename T> Status take(Expected<T> result, std::optional<T>& slot)
{
    if (!result)
        return result.error();
    slot = std::move(*result);
    return {};
}

bool isAllowedRole(const QString& role)
{
    return role == u"user" || role == u"agent" || role == u"system";
}

} // namespace

// StatisticsTableModel

StatisticsTableModel::StatisticsTableModel(int columns, QObject* parent)
    : QAbstractTableModel(parent)
    , m_columns(columns)
{
}

int StatisticsTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_columns;
}

QHash<int, QByteArray> StatisticsTableModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(ValueRole, "value");
    return names;
}

template <typename Row, typename SameKey>
void StatisticsTableModel::replaceRows(QList<Row>& rows, QList<Row> next, SameKey sameKey)
{
    setHasResults();
    qsizetype common = 0;
    while (common < rows.size() && common < next.size() && sameKey(rows.at(common), next.at(common)))
        ++common;
    if (common < rows.size() && common < next.size()) {
        beginResetModel();
        rows = std::move(next);
        endResetModel();
        return;
    }
    if (rows.size() > next.size()) {
        beginRemoveRows({}, int(next.size()), int(rows.size() - 1));
        rows.resize(next.size());
        endRemoveRows();
    }
    bool changed = false;
    for (qsizetype row = 0; row < common; ++row) {
        if (!(rows.at(row) == next.at(row))) {
            rows[row] = next.at(row);
            changed = true;
        }
    }
    // A changed row may change others' cells too (a role's share of the total): the whole block.
    if (changed)
        Q_EMIT dataChanged(index(0, 0), index(int(common - 1), m_columns - 1));
    if (next.size() > rows.size()) {
        beginInsertRows({}, int(rows.size()), int(next.size() - 1));
        rows.append(next.sliced(rows.size()));
        endInsertRows();
    }
}

// TimeSeriesModel

TimeSeriesModel::TimeSeriesModel(QObject* parent)
    : StatisticsTableModel(ColumnCount, parent)
{
}

void TimeSeriesModel::setSeries(store::TimeSeries series)
{
    if (series.bucket != m_series.bucket) {
        // Other buckets: the rows are other rows even where their starts agree.
        beginResetModel();
        m_series = std::move(series);
        setHasResults();
        endResetModel();
        return;
    }
    const bool showedDate = showsDate();
    replaceRows(m_series.buckets, std::move(series.buckets),
        [](const store::BucketCount& a, const store::BucketCount& b) { return a.start == b.start; });
    if (showedDate != showsDate() && !m_series.buckets.isEmpty())
        Q_EMIT dataChanged(index(0, StartColumn), index(rowCount() - 1, StartColumn), {Qt::DisplayRole});
}

bool TimeSeriesModel::showsDate() const
{
    if (m_series.bucket == store::Bucket::Day || m_series.bucket == store::Bucket::Week)
        return true;
    if (m_series.buckets.isEmpty())
        return false;
    return m_series.buckets.constFirst().start.date() != m_series.buckets.constLast().start.date();
}

int TimeSeriesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_series.buckets.size());
}

QVariant TimeSeriesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const store::BucketCount& bucket = m_series.buckets.at(index.row());
    const bool start = index.column() == StartColumn;
    switch (role) {
    case Qt::DisplayRole:
        if (!start)
            return countText(bucket.count);
        if (m_series.bucket == store::Bucket::Day || m_series.bucket == store::Bucket::Week)
            return bucket.start.toString(QStringLiteral("yyyy-MM-dd"));
        return bucket.start.toString(showsDate() ? QStringLiteral("yyyy-MM-dd HH:mm") : QStringLiteral("HH:mm"));
    case Qt::ToolTipRole:
        return start ? QVariant(bucket.start.toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"))) : QVariant();
    case Qt::TextAlignmentRole:
        return start ? QVariant() : rightAligned();
    case ValueRole:
        return start ? QVariant(bucket.start) : QVariant(bucket.count);
    default:
        return {};
    }
}

QVariant TimeSeriesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return StatisticsTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case StartColumn:
        return tr("Start (UTC)");
    case CountColumn:
        return countTitle();
    case ColumnCount:
        break;
    }
    return {};
}

SessionsPerBucketModel::SessionsPerBucketModel(QObject* parent)
    : TimeSeriesModel(parent)
{
}

QString SessionsPerBucketModel::countTitle() const
{
    return tr("Sessions started");
}

ActiveSessionsModel::ActiveSessionsModel(QObject* parent)
    : TimeSeriesModel(parent)
{
}

QString ActiveSessionsModel::countTitle() const
{
    return tr("Active sessions");
}

// HistogramModel

HistogramModel::HistogramModel(QObject* parent)
    : StatisticsTableModel(ColumnCount, parent)
{
}

void HistogramModel::setHistogramBins(QList<Bin> bins)
{
    replaceRows(m_bins, std::move(bins),
        [](const Bin& a, const Bin& b) { return a.label == b.label && a.lower == b.lower && a.upper == b.upper; });
}

qint64 HistogramModel::total() const
{
    qint64 sum = 0;
    for (const Bin& bin : m_bins)
        sum += bin.count;
    return sum;
}

int HistogramModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_bins.size());
}

QVariant HistogramModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Bin& bin = m_bins.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case RangeColumn:
            return bin.label;
        case FromColumn:
            return formatBound(bin.lower);
        case ToColumn:
            return bin.upper ? QVariant(formatBound(*bin.upper)) : QVariant();
        case CountColumn:
            return countText(bin.count);
        case ColumnCount:
            break;
        }
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == RangeColumn ? QVariant() : rightAligned();
    case ValueRole:
        switch (Column(index.column())) {
        case RangeColumn:
            return bin.label;
        case FromColumn:
            return bin.lower;
        case ToColumn:
            return bin.upper ? QVariant(*bin.upper) : QVariant();
        case CountColumn:
            return bin.count;
        case ColumnCount:
            break;
        }
        return {};
    default:
        return {};
    }
}

QVariant HistogramModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return StatisticsTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case RangeColumn:
        return rangeTitle();
    case FromColumn:
        return tr("From");
    case ToColumn:
        return tr("To");
    case CountColumn:
        return countTitle();
    case ColumnCount:
        break;
    }
    return {};
}

DurationHistogramModel::DurationHistogramModel(QObject* parent)
    : HistogramModel(parent)
{
}

void DurationHistogramModel::setBins(const QList<store::DurationBin>& bins)
{
    QList<Bin> rows;
    rows.reserve(bins.size());
    for (const store::DurationBin& bin : bins)
        rows.append({bin.label, bin.lowerSeconds, bin.upperSeconds, bin.count});
    setHistogramBins(std::move(rows));
}

QString DurationHistogramModel::formatBound(double seconds) const
{
    if (seconds < 60)
        return tr("%1 s").arg(shortNumber(seconds, 1));
    if (seconds < 3600)
        return tr("%1 min").arg(shortNumber(seconds / 60, 1));
    return tr("%1 h").arg(shortNumber(seconds / 3600, 1));
}

QString DurationHistogramModel::rangeTitle() const
{
    return tr("Duration");
}

QString DurationHistogramModel::countTitle() const
{
    return tr("Sessions");
}

LatencyHistogramModel::LatencyHistogramModel(QObject* parent)
    : HistogramModel(parent)
{
}

void LatencyHistogramModel::setLatency(const store::ReplyLatency& latency)
{
    QList<Bin> rows;
    rows.reserve(latency.histogram.size());
    for (const store::LatencyBin& bin : latency.histogram)
        rows.append({bin.label, bin.lowerMs, bin.upperMs, bin.count});
    setHistogramBins(std::move(rows));
}

QString LatencyHistogramModel::formatBound(double ms) const
{
    return LatencyPercentilesModel::formatLatency(ms);
}

QString LatencyHistogramModel::rangeTitle() const
{
    return tr("Latency");
}

QString LatencyHistogramModel::countTitle() const
{
    return tr("Replies");
}

// LatencyPercentilesModel

LatencyPercentilesModel::LatencyPercentilesModel(QObject* parent)
    : StatisticsTableModel(ColumnCount, parent)
{
}

void LatencyPercentilesModel::setLatency(store::ReplyLatency latency)
{
    m_latency = std::move(latency);
    QList<Row> rows;
    if (m_latency.hasData()) {
        rows = {{0.5, m_latency.p50}, {0.9, m_latency.p90}, {0.95, m_latency.p95}, {0.99, m_latency.p99}};
    }
    replaceRows(m_rows, std::move(rows), [](const Row& a, const Row& b) { return a.fraction == b.fraction; });
}

QString LatencyPercentilesModel::formatLatency(double ms)
{
    if (ms < 1000)
        return tr("%1 ms").arg(shortNumber(ms, 1));
    return tr("%1 s").arg(shortNumber(ms / 1000, 2));
}

int LatencyPercentilesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant LatencyPercentilesModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = m_rows.at(index.row());
    const bool percentile = index.column() == PercentileColumn;
    switch (role) {
    case Qt::DisplayRole:
        return percentile ? tr("p%1").arg(qRound(row.fraction * 100)) : formatLatency(row.ms);
    case Qt::ToolTipRole:
        return percentile ? QVariant(tr("%1 % of %2 replies came within this time")
                                         .arg(qRound(row.fraction * 100))
                                         .arg(countText(m_latency.count)))
                          : QVariant();
    case Qt::TextAlignmentRole:
        return percentile ? QVariant() : rightAligned();
    case ValueRole:
        return percentile ? row.fraction : row.ms;
    default:
        return {};
    }
}

QVariant LatencyPercentilesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return StatisticsTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case PercentileColumn:
        return tr("Percentile");
    case LatencyColumn:
        return tr("Latency");
    case ColumnCount:
        break;
    }
    return {};
}

// MessagesByRoleModel

MessagesByRoleModel::MessagesByRoleModel(QObject* parent)
    : StatisticsTableModel(ColumnCount, parent)
{
}

void MessagesByRoleModel::setCounts(QList<store::RoleCount> counts)
{
    replaceRows(m_counts, std::move(counts),
        [](const store::RoleCount& a, const store::RoleCount& b) { return a.role == b.role; });
}

qint64 MessagesByRoleModel::total() const
{
    qint64 sum = 0;
    for (const store::RoleCount& count : m_counts)
        sum += count.count;
    return sum;
}

int MessagesByRoleModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_counts.size());
}

QVariant MessagesByRoleModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const store::RoleCount& count = m_counts.at(index.row());
    const qint64 sum = total();
    const double share = sum > 0 ? double(count.count) / double(sum) : 0.0;
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case RoleColumn:
            return count.role;
        case CountColumn:
            return countText(count.count);
        case ShareColumn:
            return tr("%1 %").arg(shortNumber(share * 100, 1));
        case ColumnCount:
            break;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == RoleColumn && !isAllowedRole(count.role)) {
            return tr("\"%1\" is not an allowed role (user, agent, system): the doctor lists these messages.")
                .arg(count.role);
        }
        return {};
    case Qt::TextAlignmentRole:
        return index.column() == RoleColumn ? QVariant() : rightAligned();
    case ValueRole:
        switch (Column(index.column())) {
        case RoleColumn:
            return count.role;
        case CountColumn:
            return count.count;
        case ShareColumn:
            return share;
        case ColumnCount:
            break;
        }
        return {};
    case AllowedRole:
        return isAllowedRole(count.role);
    default:
        return {};
    }
}

QVariant MessagesByRoleModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return StatisticsTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case RoleColumn:
        return tr("Role");
    case CountColumn:
        return tr("Messages");
    case ShareColumn:
        return tr("Share");
    case ColumnCount:
        break;
    }
    return {};
}

QHash<int, QByteArray> MessagesByRoleModel::roleNames() const
{
    QHash<int, QByteArray> names = StatisticsTableModel::roleNames();
    names.insert(AllowedRole, "allowed");
    return names;
}

// StatisticsLoader

/// What one run computed: the statistics it got to, and the failure that stopped it, if any.
struct StatisticsLoader::Results {
    std::optional<store::TimeSeries> sessionsPerBucket;
    std::optional<QList<store::DurationBin>> durations;
    std::optional<QList<store::RoleCount>> roles;
    std::optional<store::TimeSeries> activeSessions;
    std::optional<store::ReplyLatency> latency;
    Error error;
};

StatisticsLoader::StatisticsLoader(QObject* parent)
    : QObject(parent)
    , m_sessionsPerBucket(new SessionsPerBucketModel(this))
    , m_durations(new DurationHistogramModel(this))
    , m_roles(new MessagesByRoleModel(this))
    , m_activeSessions(new ActiveSessionsModel(this))
    , m_latencyPercentiles(new LatencyPercentilesModel(this))
    , m_latencyHistogram(new LatencyHistogramModel(this))
{
    qRegisterMetaType<voxtrack::Error>();
    m_pool.setObjectName(QStringLiteral("voxtrack-statistics"));
    m_pool.setMaxThreadCount(1);
}

StatisticsLoader::~StatisticsLoader()
{
    ++m_generation;
    m_pool.clear();
    m_pool.waitForDone();
}

void StatisticsLoader::reload(Statistics statistics)
{
    const quint64 generation = ++m_generation;
    setLoading(true);

    m_pool.start([this, generation, statistics, urlText = m_urlText, range = m_range, bucket = m_bucket] {
        auto stale = [this, generation] { return m_generation.load() != generation; };
        if (stale())
            return; // superseded before it began: the newer run reports
        Results results;
        results.error = [&]() -> Status {
            const auto url = DatabaseUrl::parse(urlText);
            if (!url)
                return url.error();
            auto opened = store::Connection::open(*url, store::Connection::Access::ReadOnly);
            if (!opened)
                return opened.error();
            store::Connection& connection = **opened;
            // Each statistic asked for, while the run is still the latest, until one fails.
            Status status;
            auto next
                = [&](Statistic statistic) { return status.isNull() && statistics.testFlag(statistic) && !stale(); };
            if (next(Statistic::SessionsPerBucket))
                status = take(store::sessionsPerBucket(connection, range, bucket), results.sessionsPerBucket);
            if (next(Statistic::DurationHistogram))
                status = take(store::durationHistogram(connection, range), results.durations);
            if (next(Statistic::MessagesByRole))
                status = take(store::messagesByRole(connection, range), results.roles);
            if (next(Statistic::ActiveSessions)) {
                status = take(store::activeSessionsOverTime(connection, range, bucket, QDateTime::currentDateTimeUtc()),
                    results.activeSessions);
            }
            if (next(Statistic::ReplyLatency))
                status = take(store::replyLatency(connection, range), results.latency);
            return status;
        }();
        // Posted to the loader's thread; the loader outlives this task (its destructor waits for
        // the pool), and a posted call to a destroyed loader is discarded with it.
        QMetaObject::invokeMethod(
            this, [this, generation, results] { deliver(generation, results); }, Qt::QueuedConnection);
    });
}

void StatisticsLoader::cancel()
{
    ++m_generation;
    setLoading(false);
}

void StatisticsLoader::setLoading(bool loading)
{
    if (m_loading == loading)
        return;
    m_loading = loading;
    Q_EMIT loadingChanged(loading);
}

void StatisticsLoader::deliver(quint64 generation, const Results& results)
{
    if (generation != m_generation.load())
        return;
    Statistics delivered;
    if (results.sessionsPerBucket) {
        m_sessionsPerBucket->setSeries(*results.sessionsPerBucket);
        delivered |= Statistic::SessionsPerBucket;
    }
    if (results.durations) {
        m_durations->setBins(*results.durations);
        delivered |= Statistic::DurationHistogram;
    }
    if (results.roles) {
        m_roles->setCounts(*results.roles);
        delivered |= Statistic::MessagesByRole;
    }
    if (results.activeSessions) {
        m_activeSessions->setSeries(*results.activeSessions);
        delivered |= Statistic::ActiveSessions;
    }
    if (results.latency) {
        m_latencyPercentiles->setLatency(*results.latency);
        m_latencyHistogram->setLatency(*results.latency);
        delivered |= Statistic::ReplyLatency;
    }
    setLoading(false);
    if (delivered || results.error.isNull())
        Q_EMIT loaded(delivered);
    if (!results.error.isNull())
        Q_EMIT failed(results.error);
}

} // namespace voxtrack::models
