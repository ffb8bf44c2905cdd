// SPDX-License-Identifier: MIT
#include "tracker/metrics.h"

#include <cmath>

namespace voxtrack::tracker {

namespace {
constexpr double batchBounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
constexpr double secondsBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
} // namespace

BucketHistogram::BucketHistogram(std::span<const double> upperBounds)
    : m_bounds(upperBounds.begin(), upperBounds.end())
    , m_buckets(new std::atomic<quint64>[upperBounds.size() + 1])
{
    for (qsizetype i = 0; i <= m_bounds.size(); ++i)
        m_buckets[i].store(0, std::memory_order_relaxed);
}

void BucketHistogram::observe(double value)
{
    const auto it = std::lower_bound(m_bounds.cbegin(), m_bounds.cend(), value);
    m_buckets[it - m_bounds.cbegin()].fetch_add(1, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
    m_sumMicros.fetch_add(quint64(std::llround(std::max(0.0, value) * 1e6)), std::memory_order_relaxed);
}

QList<quint64> BucketHistogram::cumulativeCounts() const
{
    QList<quint64> counts;
    quint64 running = 0;
    for (qsizetype i = 0; i <= m_bounds.size(); ++i) {
        running += m_buckets[i].load(std::memory_order_relaxed);
        counts << running;
    }
    return counts;
}

double BucketHistogram::sum() const
{
    return double(m_sumMicros.load(std::memory_order_relaxed)) / 1e6;
}

TrackerMetrics::TrackerMetrics()
    : batchRows(batchBounds)
    , writeSeconds(secondsBounds)
{
}

void TrackerMetrics::countError(const QString& code)
{
    QMutexLocker locker(&m_mutex);
    ++m_errors[code];
}

QHash<QString, quint64> TrackerMetrics::errors() const
{
    QMutexLocker locker(&m_mutex);
    return m_errors;
}

} // namespace voxtrack::tracker
