// SPDX-License-Identifier: MIT
#include "client/histogram.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QCoreApplication>

#include <algorithm>
#include <bit>
#include <cmath>

namespace voxtrack::client {

namespace {

constexpr int subBucketBits = 7; // 128 sub-buckets per power of two
static_assert(LatencyHistogram::subBuckets == (1 << subBucketBits));

qint64 clampValue(qint64 microseconds)
{
    return std::clamp<qint64>(microseconds, 0, LatencyHistogram::maxValue);
}

double milliseconds(qint64 microseconds)
{
    return double(microseconds) / 1000.0; // whole µs: exactly 3 decimals
}

double roundedMilliseconds(double microseconds)
{
    return std::round(microseconds) / 1000.0;
}

Error invalid(const QString& why)
{
    return {QStringLiteral("histogram.invalid"),
        QCoreApplication::translate("voxtrack::client::LatencyHistogram", "The histogram data is not valid: %1.")
            .arg(why)};
}

} // namespace

int LatencyHistogram::bucketIndex(qint64 microseconds)
{
    const auto value = quint64(clampValue(microseconds));
    if (value < quint64(subBuckets))
        return int(value);
    const int exponent = std::bit_width(value) - 1; // >= subBucketBits
    const int shift = exponent - subBucketBits;
    return shift * subBuckets + int(value >> shift);
}

qint64 LatencyHistogram::bucketUpperValue(int index)
{
    const int shift = std::max(0, (index >> subBucketBits) - 1);
    const qint64 mantissa = index - qint64(shift) * subBuckets;
    return ((mantissa + 1) << shift) - 1;
}

int LatencyHistogram::bucketCount()
{
    static const int count = bucketIndex(maxValue) + 1;
    return count;
}

void LatencyHistogram::record(qint64 microseconds)
{
    const qint64 value = clampValue(microseconds);
    if (m_buckets.empty())
        m_buckets.assign(std::size_t(bucketCount()), 0);
    ++m_buckets[std::size_t(bucketIndex(value))];
    if (m_count == 0) {
        m_min = value;
        m_max = value;
    } else {
        m_min = std::min(m_min, value);
        m_max = std::max(m_max, value);
    }
    ++m_count;
    m_sum += value;
}

void LatencyHistogram::merge(const LatencyHistogram& other)
{
    if (other.m_count == 0)
        return;
    if (m_buckets.empty())
        m_buckets.assign(std::size_t(bucketCount()), 0);
    for (std::size_t i = 0; i < other.m_buckets.size(); ++i)
        m_buckets[i] += other.m_buckets[i];
    m_min = m_count ? std::min(m_min, other.m_min) : other.m_min;
    m_max = m_count ? std::max(m_max, other.m_max) : other.m_max;
    m_count += other.m_count;
    m_sum += other.m_sum;
}

void LatencyHistogram::clear()
{
    *this = LatencyHistogram();
}

double LatencyHistogram::mean() const
{
    return m_count ? double(m_sum) / double(m_count) : 0.0;
}

qint64 LatencyHistogram::percentile(double q) const
{
    if (m_count == 0)
        return 0;
    if (!(q > 0.0)) // also NaN
        return m_min;
    if (q >= 1.0)
        return m_max;
    const auto rank = std::clamp<qint64>(qint64(std::ceil(q * double(m_count))), 1, m_count);
    qint64 seen = 0;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
        seen += m_buckets[i];
        if (seen >= rank)
            return std::clamp(bucketUpperValue(int(i)), m_min, m_max);
    }
    return m_max;
}

QJsonObject LatencyHistogram::toJson() const
{
    return {{QStringLiteral("count"), m_count}, {QStringLiteral("min_ms"), milliseconds(min())},
        {QStringLiteral("mean_ms"), roundedMilliseconds(mean())},
        {QStringLiteral("p50_ms"), milliseconds(percentile(0.50))},
        {QStringLiteral("p90_ms"), milliseconds(percentile(0.90))},
        {QStringLiteral("p95_ms"), milliseconds(percentile(0.95))},
        {QStringLiteral("p99_ms"), milliseconds(percentile(0.99))},
        {QStringLiteral("p999_ms"), milliseconds(percentile(0.999))}, {QStringLiteral("max_ms"), milliseconds(max())}};
}

QByteArray LatencyHistogram::toCbor() const
{
    QCborArray buckets;
    for (std::size_t i = 0; i < m_buckets.size(); ++i) {
        if (m_buckets[i] == 0)
            continue;
        buckets.append(qint64(i));
        buckets.append(m_buckets[i]);
    }
    QCborMap map;
    map.insert(QStringLiteral("v"), 1);
    map.insert(QStringLiteral("count"), m_count);
    map.insert(QStringLiteral("min"), min());
    map.insert(QStringLiteral("max"), max());
    map.insert(QStringLiteral("sum"), m_sum);
    map.insert(QStringLiteral("buckets"), buckets);
    return map.toCborValue().toCbor();
}

Expected<LatencyHistogram> LatencyHistogram::fromCbor(const QByteArray& data)
{
    QCborParserError parseError;
    const QCborValue value = QCborValue::fromCbor(data, &parseError);
    if (parseError.error != QCborError::NoError)
        return invalid(parseError.errorString());
    if (!value.isMap())
        return invalid(QStringLiteral("not a CBOR map"));
    const QCborMap map = value.toMap();
    if (map.value(QStringLiteral("v")).toInteger(-1) != 1)
        return invalid(QStringLiteral("unknown version"));
    const QCborArray buckets = map.value(QStringLiteral("buckets")).toArray();
    if (buckets.size() % 2 != 0)
        return invalid(QStringLiteral("odd bucket list"));

    LatencyHistogram h;
    const qint64 count = map.value(QStringLiteral("count")).toInteger(-1);
    if (count < 0)
        return invalid(QStringLiteral("bad count"));
    if (count == 0)
        return h;
    h.m_buckets.assign(std::size_t(bucketCount()), 0);
    qint64 total = 0;
    for (qsizetype i = 0; i < buckets.size(); i += 2) {
        const qint64 index = buckets.at(i).toInteger(-1);
        const qint64 n = buckets.at(i + 1).toInteger(-1);
        if (index < 0 || index >= bucketCount() || n <= 0)
            return invalid(QStringLiteral("bad bucket"));
        h.m_buckets[std::size_t(index)] += n;
        total += n;
    }
    if (total != count)
        return invalid(QStringLiteral("bucket counts do not add up to count"));
    h.m_count = count;
    h.m_min = map.value(QStringLiteral("min")).toInteger(-1);
    h.m_max = map.value(QStringLiteral("max")).toInteger(-1);
    h.m_sum = map.value(QStringLiteral("sum")).toInteger(-1);
    if (h.m_min < 0 || h.m_max < h.m_min || h.m_max > maxValue || h.m_sum < 0)
        return invalid(QStringLiteral("bad min, max or sum"));
    return h;
}

bool operator==(const LatencyHistogram& a, const LatencyHistogram& b)
{
    if (a.m_count != b.m_count || a.m_sum != b.m_sum || a.min() != b.min() || a.max() != b.max())
        return false;
    if (a.m_count == 0)
        return true;
    return a.m_buckets == b.m_buckets; // both allocated when non-empty
}

} // namespace voxtrack::client
