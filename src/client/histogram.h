// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArray>
#include <QJsonObject>

#include <vector>

namespace voxtrack::client {

/// A log-linear (HDR-style) histogram of durations in microseconds.
///
/// Values below 128 µs are counted exactly; above that each power of two is split into 128
/// equal sub-buckets, so a bucket is at most 1/128 (0.78 %) of its values wide. Percentiles
/// report the highest value of their bucket (never an under-estimate, at most 0.78 % over),
/// except percentile(0) and percentile(1), which are the exact minimum and maximum.
///
/// Range: 0 µs to 1 hour (3 600 000 000 µs). A negative value is recorded as 0 and a value
/// above one hour as one hour: out-of-range values clamp, they are never dropped, so count()
/// always equals the number of record() calls.
///
/// Not thread-safe: use one histogram per thread (or per process) and merge() them at the
/// end; toCbor()/fromCbor() carry a histogram between processes without losing precision.
class LatencyHistogram {
public:
    static constexpr qint64 maxValue = qint64(3600) * 1000 * 1000; ///< one hour in µs
    static constexpr int subBuckets = 128;

    void record(qint64 microseconds);
    void merge(const LatencyHistogram& other);
    void clear();

    [[nodiscard]] qint64 count() const { return m_count; }
    [[nodiscard]] bool isEmpty() const { return m_count == 0; }
    [[nodiscard]] qint64 min() const { return m_count ? m_min : 0; } ///< exact, µs; 0 when empty
    [[nodiscard]] qint64 max() const { return m_count ? m_max : 0; } ///< exact, µs; 0 when empty
    [[nodiscard]] double mean() const; ///< exact (of the clamped values), µs; 0 when empty
    /// The value at quantile q (clamped to [0, 1]) in µs: the upper end of the bucket that holds
    /// the ceil(q · count)-th smallest value, limited to [min, max]. 0 when empty.
    [[nodiscard]] qint64 percentile(double q) const;

    /// {count, min_ms, mean_ms, p50_ms, p90_ms, p95_ms, p99_ms, p999_ms, max_ms}, the times in
    /// milliseconds rounded to 3 decimals (whole microseconds).
    [[nodiscard]] QJsonObject toJson() const;

    /// Compact lossless form: a CBOR map {"v": 1, "count", "min", "max", "sum",
    /// "buckets": [index, count, index, count, …]} listing only non-empty buckets.
    [[nodiscard]] QByteArray toCbor() const;
    /// Reads toCbor()'s output. Error code histogram.invalid.
    [[nodiscard]] static Expected<LatencyHistogram> fromCbor(const QByteArray& data);

    /// Same count, sum, min, max and buckets.
    friend bool operator==(const LatencyHistogram& a, const LatencyHistogram& b);

    [[nodiscard]] static int bucketIndex(qint64 microseconds); ///< of a value already in range
    [[nodiscard]] static qint64 bucketUpperValue(int index); ///< highest value counted in a bucket
    [[nodiscard]] static int bucketCount();

private:
    std::vector<qint64> m_buckets; // allocated on the first record() or merge()
    qint64 m_count = 0;
    qint64 m_sum = 0;
    qint64 m_min = 0;
    qint64 m_max = 0;
};

} // namespace voxtrack::client
