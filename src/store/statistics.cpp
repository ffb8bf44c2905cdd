// SPDX-License-Identifier: MIT
#include "store/statistics.h"

#include "store/connection.h"
#include "store/queries.h"
#include "store/schema.h"

#include <QCoreApplication>
#include <QLocale>
#include <QSqlQuery>
#include <QStringList>
#include <QTimeZone>

#include <algorithm>
#include <array>
#include <cmath>
#include <span>

namespace voxtrack::store {

namespace {

QString tr(const char* text)
{
    return QCoreApplication::translate("voxtrack::store::Statistics", text);
}

/// 1970-01-01 was a Thursday: weeks start on Monday, four days later.
constexpr qint64 weekOffsetSeconds = qint64(4) * 86400;

/// Upper edges of the session duration bins, in seconds; the last bin has none.
constexpr std::array<double, 7> durationEdges {10, 30, 60, 120, 300, 600, 1800};
/// Upper edges of the reply latency bins, in milliseconds.
constexpr std::array<double, 6> latencyEdges {100, 250, 500, 1000, 2000, 5000};
/// The reported percentiles, as fractions, in ReplyLatency's order.
constexpr std::array<double, 4> percentileFractions {0.5, 0.9, 0.95, 0.99};

struct Schema {
    bool postgres = false;
    bool messageMetadata = false;
};

Expected<Schema> inspect(Connection& connection)
{
    const auto schema = inspectConversationSchema(connection);
    if (!schema)
        return schema.error();
    return Schema {connection.isPostgreSql(), schema->messages.hasColumn(u"metadata")};
}

/// Conditions joined by AND, with their bound values in the order they appear.
struct Conditions {
    QStringList sql;
    QVariantList values;

    [[nodiscard]] QString where() const
    {
        return sql.isEmpty() ? QString() : QStringLiteral(" WHERE ") + sql.join(QStringLiteral(" AND "));
    }
};

/// A timestamp as SQL compares it. SQLite stores ISO 8601 UTC text with milliseconds, which orders
/// as text; PostgreSQL casts the same text.
QString timeValue(const QDateTime& time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

QString timeParameter(bool postgres)
{
    return postgres ? QStringLiteral("CAST(? AS timestamptz)") : QStringLiteral("?");
}

void addRange(Conditions& conditions, const TimeRange& range, const QString& column, bool postgres)
{
    if (range.from.isValid()) {
        conditions.sql << column + QStringLiteral(" >= ") + timeParameter(postgres);
        conditions.values << timeValue(range.from);
    }
    if (range.to.isValid()) {
        conditions.sql << column + QStringLiteral(" < ") + timeParameter(postgres);
        conditions.values << timeValue(range.to);
    }
}

QString number(double value)
{
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}

/// A bound in the unit a bin label uses: seconds up to a minute, minutes up to an hour, then hours.
QString durationUnit(double upperSeconds)
{
    if (upperSeconds <= 60)
        return tr("s");
    return upperSeconds <= 3600 ? tr("min") : tr("h");
}

double inDurationUnit(double seconds, double upperSeconds)
{
    if (upperSeconds <= 60)
        return seconds;
    return upperSeconds <= 3600 ? seconds / 60 : seconds / 3600;
}

QString latencyUnit(double upperMs)
{
    return upperMs <= 1000 ? tr("ms") : tr("s");
}

double inLatencyUnit(double ms, double upperMs)
{
    return upperMs <= 1000 ? ms : ms / 1000;
}

/// "< 10 s", "10–30 s", "≥ 30 min": the unit follows the upper bound (the lower one for the last bin).
template <typename Unit, typename Scale>
QString binLabel(std::optional<double> lower, std::optional<double> upper, Unit unit, Scale scale)
{
    if (!lower)
        return tr("< %1 %2").arg(number(scale(*upper, *upper)), unit(*upper));
    if (!upper)
        return tr("≥ %1 %2").arg(number(scale(*lower, *lower)), unit(*lower));
    return tr("%1–%2 %3").arg(number(scale(*lower, *upper)), number(scale(*upper, *upper)), unit(*upper));
}

QList<DurationBin> emptyDurationBins()
{
    QList<DurationBin> bins;
    for (std::size_t bin = 0; bin <= durationEdges.size(); ++bin) {
        const std::optional<double> lower = bin == 0 ? std::nullopt : std::optional(durationEdges[bin - 1]);
        const std::optional<double> upper
            = bin == durationEdges.size() ? std::nullopt : std::optional(durationEdges[bin]);
        bins.append({binLabel(lower, upper, durationUnit, inDurationUnit), lower.value_or(0), upper, 0});
    }
    return bins;
}

QList<LatencyBin> emptyLatencyBins()
{
    QList<LatencyBin> bins;
    for (std::size_t bin = 0; bin <= latencyEdges.size(); ++bin) {
        const std::optional<double> lower = bin == 0 ? std::nullopt : std::optional(latencyEdges[bin - 1]);
        const std::optional<double> upper
            = bin == latencyEdges.size() ? std::nullopt : std::optional(latencyEdges[bin]);
        bins.append({binLabel(lower, upper, latencyUnit, inLatencyUnit), lower.value_or(0), upper, 0});
    }
    return bins;
}

/// SQLite's bin index of value for these edges: 0 below the first edge, edges.size() from the last.
QString sqliteBinIndex(const QString& value, std::span<const double> edges)
{
    QString sql = QStringLiteral("CASE");
    for (std::size_t bin = 0; bin < edges.size(); ++bin)
        sql += QStringLiteral(" WHEN %1 < %2 THEN %3").arg(value, number(edges[bin])).arg(bin);
    return sql + QStringLiteral(" ELSE %1 END").arg(edges.size());
}

/// Aggregates counting value into each bin, in order, as FILTER clauses (both backends have them).
QStringList binCounts(const QString& value, std::span<const double> edges)
{
    QStringList counts;
    for (std::size_t bin = 0; bin <= edges.size(); ++bin) {
        QStringList parts;
        if (bin > 0)
            parts << QStringLiteral("%1 >= %2").arg(value, number(edges[bin - 1]));
        if (bin < edges.size())
            parts << QStringLiteral("%1 < %2").arg(value, number(edges[bin]));
        counts << QStringLiteral("count(*) FILTER (WHERE %1)").arg(parts.join(QStringLiteral(" AND ")));
    }
    return counts;
}

QString bucketName(Bucket bucket)
{
    switch (bucket) {
    case Bucket::Minute:
        return tr("minute");
    case Bucket::Hour:
        return tr("hour");
    case Bucket::Day:
        return tr("day");
    case Bucket::Week:
        return tr("week");
    case Bucket::Auto:
        break;
    }
    return {};
}

QString postgresUnit(Bucket bucket)
{
    switch (bucket) {
    case Bucket::Minute:
        return QStringLiteral("minute");
    case Bucket::Hour:
        return QStringLiteral("hour");
    case Bucket::Day:
        return QStringLiteral("day");
    case Bucket::Week:
        return QStringLiteral("week");
    case Bucket::Auto:
        break;
    }
    return {};
}

bool isBounded(const TimeRange& range)
{
    return range.from.isValid() && range.to.isValid() && range.from < range.to;
}

/// A series with nothing in it; Auto stands for the range's bucket, or Hour when the range is open.
TimeSeries emptySeries(const TimeRange& range, Bucket bucket)
{
    if (bucket == Bucket::Auto)
        bucket = isBounded(range) ? autoBucket(range.from, range.to.addMSecs(-1)) : Bucket::Hour;
    return {bucket, {}};
}

/// The later of two times, either of which may be invalid.
QDateTime later(const QDateTime& a, const QDateTime& b)
{
    if (!a.isValid())
        return b;
    if (!b.isValid())
        return a;
    return std::max(a, b);
}

/// The buckets a series covers, first and last included.
struct SeriesPlan {
    Bucket bucket = Bucket::Hour;
    QDateTime first;
    QDateTime last;
};

/// Resolves Auto from span (or from the data, [first, last]) and refuses a series longer than
/// maxBuckets.
Expected<SeriesPlan> planSeries(const QDateTime& first, const QDateTime& last, const TimeRange& range, Bucket bucket)
{
    if (bucket == Bucket::Auto)
        bucket = isBounded(range) ? autoBucket(range.from, range.to.addMSecs(-1)) : autoBucket(first, last);
    SeriesPlan plan {bucket, bucketStart(first, bucket), bucketStart(last, bucket)};
    const qint64 count = bucketCount(plan.first, plan.last, bucket);
    if (count > maxBuckets) {
        return Error {QStringLiteral("stats.too_many_buckets"),
            tr("Counting by the %1 from %2 to %3 makes %4 buckets, more than %5: choose a larger bucket or a "
               "shorter time range.")
                .arg(bucketName(bucket), timeValue(plan.first), timeValue(plan.last))
                .arg(count)
                .arg(maxBuckets)};
    }
    return plan;
}

/// SQL for the bound parameters of a series: generate_series on PostgreSQL, a recursive CTE over
/// epoch seconds on SQLite. Both yield one row per bucket, series(bucket).
QString seriesSql(const SeriesPlan& plan, bool postgres, QVariantList& values)
{
    const qint64 width = bucketSeconds(plan.bucket);
    if (postgres) {
        values << timeValue(plan.first) << timeValue(plan.last);
        return QStringLiteral("generate_series(CAST(? AS timestamptz), CAST(? AS timestamptz), interval '%1 seconds') "
                              "AS series(bucket)")
            .arg(width);
    }
    values << plan.first.toSecsSinceEpoch() << plan.last.toSecsSinceEpoch();
    return QStringLiteral("series(bucket) AS (SELECT CAST(? AS INTEGER) UNION ALL "
                          "SELECT bucket + %1 FROM series WHERE bucket + %1 <= CAST(? AS INTEGER))")
        .arg(width);
}

/// A bucket start as a query returns it: a timestamp on PostgreSQL, epoch seconds on SQLite.
QDateTime readBucket(const QVariant& value, bool postgres)
{
    return postgres ? readTimestamp(value)
                    : QDateTime::fromSecsSinceEpoch(value.toLongLong(), QTimeZone::utc()).toUTC();
}

Expected<TimeSeries> readSeries(
    Connection& connection, const QString& sql, const QVariantList& values, const SeriesPlan& plan, bool postgres)
{
    TimeSeries series;
    series.bucket = plan.bucket;
    const Status status = forEachRow(connection, sql, values, [&](const QSqlQuery& query) {
        series.buckets.append({readBucket(query.value(0), postgres), query.value(1).toLongLong()});
    });
    if (!status.isNull())
        return status;
    return series;
}

double interpolate(double below, double above, double position)
{
    return below + (above - below) * (position - std::floor(position));
}

} // namespace

qint64 bucketSeconds(Bucket bucket)
{
    switch (bucket) {
    case Bucket::Minute:
        return 60;
    case Bucket::Hour:
        return 3600;
    case Bucket::Day:
        return 86400;
    case Bucket::Week:
        return qint64(7) * 86400;
    case Bucket::Auto:
        break;
    }
    return 0;
}

QDateTime bucketStart(const QDateTime& time, Bucket bucket)
{
    const qint64 width = bucketSeconds(bucket) * 1000;
    if (width == 0 || !time.isValid())
        return {};
    const qint64 offset = bucket == Bucket::Week ? weekOffsetSeconds * 1000 : 0;
    const qint64 ms = time.toMSecsSinceEpoch();
    const qint64 into = ((ms - offset) % width + width) % width;
    return QDateTime::fromMSecsSinceEpoch(ms - into, QTimeZone::utc()).toUTC();
}

qint64 bucketCount(const QDateTime& first, const QDateTime& last, Bucket bucket)
{
    const qint64 width = bucketSeconds(bucket) * 1000;
    if (width == 0 || !first.isValid() || !last.isValid() || last < first)
        return 0;
    return (bucketStart(last, bucket).toMSecsSinceEpoch() - bucketStart(first, bucket).toMSecsSinceEpoch()) / width + 1;
}

Bucket autoBucket(const QDateTime& first, const QDateTime& last)
{
    for (const Bucket bucket : {Bucket::Minute, Bucket::Hour, Bucket::Day}) {
        if (bucketCount(first, last, bucket) <= autoBucketLimit)
            return bucket;
    }
    return Bucket::Week;
}

Expected<TimeSeries> sessionsPerBucket(Connection& connection, const TimeRange& range, Bucket bucket)
{
    const auto schema = inspect(connection);
    if (!schema)
        return schema.error();
    const bool postgres = schema->postgres;

    Conditions conditions;
    addRange(conditions, range, QStringLiteral("started_at"), postgres);
    const QString extentSql
        = QStringLiteral("SELECT min(started_at), max(started_at) FROM conversation_sessions") + conditions.where();
    QDateTime first;
    QDateTime last;
    Status status = forEachRow(connection, extentSql, conditions.values, [&](const QSqlQuery& query) {
        first = readTimestamp(query.value(0));
        last = readTimestamp(query.value(1));
    });
    if (!status.isNull())
        return status;
    if (!first.isValid() || !last.isValid())
        return emptySeries(range, bucket);
    const auto plan = planSeries(first, last, range, bucket);
    if (!plan)
        return plan.error();

    QVariantList values;
    QString sql;
    if (postgres) {
        // date_trunc with a time zone: buckets in UTC whatever the session's TimeZone. The range's
        // values come first in the text, the series' after them.
        values << conditions.values;
        const QString series = seriesSql(*plan, postgres, values);
        sql = QStringLiteral("WITH counts AS (SELECT date_trunc('%1', started_at, 'UTC') AS bucket, count(*) AS n "
                             "FROM conversation_sessions%2 GROUP BY 1) "
                             "SELECT series.bucket, coalesce(counts.n, 0) FROM %3 "
                             "LEFT JOIN counts ON counts.bucket = series.bucket ORDER BY series.bucket")
                  .arg(postgresUnit(plan->bucket), conditions.where(), series);
    } else {
        // Epoch seconds of the bucket start; strftime('%s') drops the milliseconds, which never
        // moves a time across a whole-second bucket edge.
        const qint64 width = bucketSeconds(plan->bucket);
        const qint64 offset = plan->bucket == Bucket::Week ? weekOffsetSeconds : 0;
        const QString epoch = QStringLiteral("CAST(strftime('%s', started_at) AS INTEGER)");
        const QString start = QStringLiteral("%1 - ((%1 - %2) % %3 + %3) % %3").arg(epoch).arg(offset).arg(width);
        sql = QStringLiteral("WITH RECURSIVE %1, counts AS (SELECT %2 AS bucket, count(*) AS n "
                             "FROM conversation_sessions%3 GROUP BY 1) "
                             "SELECT series.bucket, coalesce(counts.n, 0) FROM series "
                             "LEFT JOIN counts ON counts.bucket = series.bucket ORDER BY series.bucket")
                  .arg(seriesSql(*plan, postgres, values), start, conditions.where());
        values << conditions.values;
    }
    return readSeries(connection, sql, values, *plan, postgres);
}

Expected<QList<DurationBin>> durationHistogram(Connection& connection, const TimeRange& range)
{
    const auto schema = inspect(connection);
    if (!schema)
        return schema.error();
    const bool postgres = schema->postgres;

    Conditions conditions;
    conditions.sql << QStringLiteral("ended_at IS NOT NULL") << QStringLiteral("duration_seconds IS NOT NULL");
    addRange(conditions, range, QStringLiteral("started_at"), postgres);
    QString bin;
    if (postgres) {
        QStringList edges;
        for (const double edge : durationEdges)
            edges << number(edge);
        bin = QStringLiteral("width_bucket(duration_seconds, ARRAY[%1]::double precision[])")
                  .arg(edges.join(QStringLiteral(", ")));
    } else {
        bin = sqliteBinIndex(QStringLiteral("duration_seconds"), durationEdges);
    }
    const QString sql = QStringLiteral("SELECT %1 AS bin, count(*) FROM conversation_sessions%2 GROUP BY 1")
                            .arg(bin, conditions.where());

    QList<DurationBin> bins = emptyDurationBins();
    const Status status = forEachRow(connection, sql, conditions.values, [&](const QSqlQuery& query) {
        const qsizetype index = std::clamp<qsizetype>(query.value(0).toLongLong(), 0, bins.size() - 1);
        bins[index].count += query.value(1).toLongLong();
    });
    if (!status.isNull())
        return status;
    return bins;
}

Expected<QList<RoleCount>> messagesByRole(Connection& connection, const TimeRange& range)
{
    const auto schema = inspect(connection);
    if (!schema)
        return schema.error();
    const bool postgres = schema->postgres;

    Conditions conditions;
    addRange(conditions, range, QStringLiteral("created_at"), postgres);
    // Other roles in byte order on both backends: SQLite's BINARY collation, PostgreSQL's "C".
    const QString sql = QStringLiteral("SELECT role, count(*) FROM conversation_messages%1 GROUP BY role "
                                       "ORDER BY CASE role WHEN 'user' THEN 0 WHEN 'agent' THEN 1 "
                                       "WHEN 'system' THEN 2 ELSE 3 END, role IS NULL, role%2")
                            .arg(conditions.where(), postgres ? QStringLiteral(" COLLATE \"C\"") : QString());
    QList<RoleCount> roles;
    const Status status = forEachRow(connection, sql, conditions.values, [&](const QSqlQuery& query) {
        roles.append({query.value(0).toString(), query.value(1).toLongLong()});
    });
    if (!status.isNull())
        return status;
    return roles;
}

Expected<TimeSeries> activeSessionsOverTime(
    Connection& connection, const TimeRange& range, Bucket bucket, const QDateTime& now)
{
    const auto schema = inspect(connection);
    if (!schema)
        return schema.error();
    const bool postgres = schema->postgres;

    // The sessions open at some moment of the range.
    Conditions conditions;
    if (range.to.isValid()) {
        conditions.sql << QStringLiteral("started_at < ") + timeParameter(postgres);
        conditions.values << timeValue(range.to);
    }
    if (range.from.isValid()) {
        conditions.sql << QStringLiteral("(ended_at IS NULL OR ended_at >= %1)").arg(timeParameter(postgres));
        conditions.values << timeValue(range.from);
    }
    const QString extentSql = QStringLiteral("SELECT min(started_at), max(started_at), max(ended_at), "
                                             "count(*) - count(ended_at) FROM conversation_sessions")
        + conditions.where();
    QDateTime first;
    QDateTime last;
    Status status = forEachRow(connection, extentSql, conditions.values, [&](const QSqlQuery& query) {
        first = readTimestamp(query.value(0));
        last = later(readTimestamp(query.value(1)), readTimestamp(query.value(2)));
        if (query.value(3).toLongLong() > 0)
            last = later(last, now.toUTC());
    });
    if (!status.isNull())
        return status;
    if (first.isValid() && range.from.isValid())
        first = std::max(first, range.from.toUTC());
    if (last.isValid() && range.to.isValid())
        last = std::min(last, range.to.toUTC().addMSecs(-1));
    if (!first.isValid() || !last.isValid() || last < first)
        return emptySeries(range, bucket);
    const auto plan = planSeries(first, last, range, bucket);
    if (!plan)
        return plan.error();

    const qint64 width = bucketSeconds(plan->bucket);
    QVariantList values;
    QString sql;
    if (postgres) {
        const QString series = seriesSql(*plan, postgres, values);
        sql = QStringLiteral(
            "SELECT series.bucket, count(s.started_at) FROM %1 "
            "LEFT JOIN conversation_sessions s ON s.started_at < series.bucket + interval '%2 seconds' "
            "AND (s.ended_at IS NULL OR s.ended_at >= series.bucket) "
            "GROUP BY series.bucket ORDER BY series.bucket")
                  .arg(series)
                  .arg(width);
    } else {
        const QString iso = QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', %1, 'unixepoch')");
        sql = QStringLiteral("WITH RECURSIVE %1 SELECT series.bucket, count(s.started_at) FROM series "
                             "LEFT JOIN conversation_sessions s ON s.started_at < %2 "
                             "AND (s.ended_at IS NULL OR s.ended_at >= %3) "
                             "GROUP BY series.bucket ORDER BY series.bucket")
                  .arg(seriesSql(*plan, postgres, values), iso.arg(QStringLiteral("series.bucket + %1").arg(width)),
                      iso.arg(QStringLiteral("series.bucket")));
    }
    return readSeries(connection, sql, values, *plan, postgres);
}

Expected<ReplyLatency> replyLatency(Connection& connection, const TimeRange& range)
{
    const auto schema = inspect(connection);
    if (!schema)
        return schema.error();
    const bool postgres = schema->postgres;

    ReplyLatency latency;
    latency.histogram = emptyLatencyBins();
    if (!schema->messageMetadata)
        return latency; // no metadata column: no data, as when no message has the key

    Conditions conditions;
    conditions.sql << QStringLiteral("role = 'agent'");
    addRange(conditions, range, QStringLiteral("created_at"), postgres);
    const QStringList bins = binCounts(QStringLiteral("x"), latencyEdges);
    QString sql;
    if (postgres) {
        // Only numbers: a string or an object under the key is left out, as on SQLite.
        QStringList percentiles;
        for (const double fraction : percentileFractions)
            percentiles << QStringLiteral("percentile_cont(%1) WITHIN GROUP (ORDER BY x)").arg(number(fraction));
        sql = QStringLiteral(
            "WITH latencies AS (SELECT CASE WHEN jsonb_typeof(metadata::jsonb -> 'reply_latency_ms') "
            "= 'number' THEN CAST(metadata::jsonb ->> 'reply_latency_ms' AS double precision) END AS x "
            "FROM conversation_messages%1) "
            "SELECT count(*), %2, %3 FROM latencies WHERE x IS NOT NULL")
                  .arg(conditions.where(), percentiles.join(QStringLiteral(", ")), bins.join(QStringLiteral(", ")));
    } else {
        // The two values around each percentile's rank, by row number; interpolated below exactly
        // as percentile_cont does. Malformed metadata text is skipped, not an error.
        QStringList neighbours;
        for (const double fraction : percentileFractions) {
            const QString position = QStringLiteral("%1 * (n - 1)").arg(number(fraction));
            const QString below = QStringLiteral("CAST(%1 AS INTEGER)").arg(position);
            neighbours << QStringLiteral("max(CASE WHEN i = %1 THEN x END)").arg(below)
                       << QStringLiteral("max(CASE WHEN i = %1 + (%2 > %1) THEN x END)").arg(below, position);
        }
        conditions.sql << QStringLiteral("CASE WHEN json_valid(metadata) THEN "
                                         "json_type(metadata, '$.reply_latency_ms') END IN ('integer', 'real')");
        sql = QStringLiteral("WITH latencies AS (SELECT CASE WHEN json_valid(metadata) THEN "
                             "CAST(json_extract(metadata, '$.reply_latency_ms') AS REAL) END AS x "
                             "FROM conversation_messages%1), "
                             "ranked AS (SELECT x, row_number() OVER (ORDER BY x) - 1 AS i, count(*) OVER () AS n "
                             "FROM latencies WHERE x IS NOT NULL) "
                             "SELECT count(*), %2, %3 FROM ranked")
                  .arg(conditions.where(), neighbours.join(QStringLiteral(", ")), bins.join(QStringLiteral(", ")));
    }

    const Status status = forEachRow(connection, sql, conditions.values, [&](const QSqlQuery& query) {
        latency.count = query.value(0).toLongLong();
        if (latency.count == 0)
            return;
        int column = 1;
        std::array<double, percentileFractions.size()> values {};
        for (std::size_t p = 0; p < percentileFractions.size(); ++p) {
            if (postgres) {
                values[p] = query.value(column++).toDouble();
            } else {
                const double below = query.value(column++).toDouble();
                const double above = query.value(column++).toDouble();
                values[p] = interpolate(below, above, percentileFractions[p] * double(latency.count - 1));
            }
        }
        latency.p50 = values[0];
        latency.p90 = values[1];
        latency.p95 = values[2];
        latency.p99 = values[3];
        for (LatencyBin& bin : latency.histogram)
            bin.count = query.value(column++).toLongLong();
    });
    if (!status.isNull())
        return status;
    return latency;
}

} // namespace voxtrack::store
