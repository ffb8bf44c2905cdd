// SPDX-License-Identifier: MIT
#include "client/histogram.h"

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <limits>

using namespace voxtrack::client;

namespace {

QList<qint64> distribution(const QString& name)
{
    QList<qint64> values;
    if (name == QStringLiteral("uniform")) {
        for (qint64 v = 1; v <= 10000; ++v)
            values.append(v);
    } else if (name == QStringLiteral("constant")) {
        values.fill(4242, 1000);
    } else if (name == QStringLiteral("two-point")) {
        for (int i = 0; i < 900; ++i)
            values.append(1000);
        for (int i = 0; i < 100; ++i)
            values.append(250000);
    } else if (name == QStringLiteral("wide")) {
        // 1 µs to about 40 minutes, geometric.
        for (double v = 1; v < 2.4e9; v *= 1.013)
            values.append(qint64(v));
    }
    // Shuffle deterministically so order does not matter.
    for (qsizetype i = 0; i < values.size(); ++i)
        std::swap(values[i], values[(i * 7919) % values.size()]);
    return values;
}

/// The nearest-rank percentile of the exact values.
qint64 exactPercentile(QList<qint64> values, double q)
{
    std::sort(values.begin(), values.end());
    const auto rank = std::clamp<qint64>(qint64(std::ceil(q * double(values.size()))), 1, values.size());
    return values.at(rank - 1);
}

LatencyHistogram histogramOf(const QList<qint64>& values)
{
    LatencyHistogram h;
    for (qint64 v : values)
        h.record(v);
    return h;
}

} // namespace

class TestHistogram : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void percentilesWithinOnePercent_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<double>("q");
        for (const char* name : {"uniform", "constant", "two-point", "wide"}) {
            for (double q : {0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999})
                QTest::addRow("%s p%g", name, q * 100) << QString::fromLatin1(name) << q;
        }
    }

    void percentilesWithinOnePercent()
    {
        QFETCH(QString, name);
        QFETCH(double, q);
        const QList<qint64> values = distribution(name);
        const LatencyHistogram h = histogramOf(values);
        const qint64 expected = exactPercentile(values, q);
        const qint64 actual = h.percentile(q);
        QVERIFY2(actual >= expected, qPrintable(QStringLiteral("%1 < %2").arg(actual).arg(expected)));
        QVERIFY2(double(actual - expected) <= 0.01 * double(expected),
            qPrintable(QStringLiteral("%1 vs %2").arg(actual).arg(expected)));
    }

    void extremesAndMeanAreExact_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addRow("uniform") << QStringLiteral("uniform");
        QTest::addRow("constant") << QStringLiteral("constant");
        QTest::addRow("two-point") << QStringLiteral("two-point");
        QTest::addRow("wide") << QStringLiteral("wide");
    }

    void extremesAndMeanAreExact()
    {
        QFETCH(QString, name);
        const QList<qint64> values = distribution(name);
        const LatencyHistogram h = histogramOf(values);
        const auto [lo, hi] = std::minmax_element(values.cbegin(), values.cend());
        double sum = 0;
        for (qint64 v : values)
            sum += double(v);
        QCOMPARE(h.count(), values.size());
        QCOMPARE(h.min(), *lo);
        QCOMPARE(h.max(), *hi);
        QCOMPARE(h.percentile(0), *lo);
        QCOMPARE(h.percentile(1), *hi);
        QCOMPARE(h.percentile(-1), *lo);
        QCOMPARE(h.percentile(2), *hi);
        QCOMPARE(h.mean(), sum / double(values.size()));
    }

    void bucketsBoundTheRelativeError()
    {
        int previous = -1;
        for (qint64 v = 0; v <= LatencyHistogram::maxValue; v = v < 1000 ? v + 1 : v + v / 997) {
            const int index = LatencyHistogram::bucketIndex(v);
            QVERIFY(index >= previous);
            QVERIFY(index < LatencyHistogram::bucketCount());
            previous = index;
            const qint64 upper = LatencyHistogram::bucketUpperValue(index);
            QVERIFY2(upper >= v && double(upper - v) <= 0.01 * double(v),
                qPrintable(QStringLiteral("%1 -> %2").arg(v).arg(upper)));
            if (v < LatencyHistogram::subBuckets)
                QCOMPARE(upper, v);
        }
        QCOMPARE(LatencyHistogram::bucketIndex(LatencyHistogram::maxValue), LatencyHistogram::bucketCount() - 1);
    }

    void mergeEqualsRecordingEverything_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("parts");
        QTest::addRow("uniform into 4") << QStringLiteral("uniform") << 4;
        QTest::addRow("two-point into 3") << QStringLiteral("two-point") << 3;
        QTest::addRow("wide into 7") << QStringLiteral("wide") << 7;
        QTest::addRow("wide into 1") << QStringLiteral("wide") << 1;
    }

    void mergeEqualsRecordingEverything()
    {
        QFETCH(QString, name);
        QFETCH(int, parts);
        const QList<qint64> values = distribution(name);
        QList<LatencyHistogram> perThread(parts);
        for (qsizetype i = 0; i < values.size(); ++i)
            perThread[i % parts].record(values.at(i));
        LatencyHistogram merged;
        merged.merge(LatencyHistogram()); // merging an empty one changes nothing
        for (const LatencyHistogram& h : perThread)
            merged.merge(h);
        merged.merge(LatencyHistogram());
        const LatencyHistogram all = histogramOf(values);
        QVERIFY(merged == all);
        for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0})
            QCOMPARE(merged.percentile(q), all.percentile(q));
        QCOMPARE(merged.mean(), all.mean());
        QCOMPARE(merged.toJson(), all.toJson());
    }

    void emptyHistogram()
    {
        const LatencyHistogram h;
        QCOMPARE(h.count(), 0);
        QVERIFY(h.isEmpty());
        QCOMPARE(h.min(), 0);
        QCOMPARE(h.max(), 0);
        QCOMPARE(h.mean(), 0.0);
        for (double q : {0.0, 0.5, 0.99, 1.0})
            QCOMPARE(h.percentile(q), 0);
        const QJsonObject json = h.toJson();
        QCOMPARE(json.value(QStringLiteral("count")).toInteger(), 0);
        for (const QString& key : json.keys())
            QCOMPARE(json.value(key).toDouble(), 0.0);
        QVERIFY(h == LatencyHistogram());
        LatencyHistogram cleared;
        cleared.record(5);
        cleared.clear();
        QVERIFY(cleared == h);
    }

    void outOfRangeValuesClamp_data()
    {
        QTest::addColumn<qint64>("value");
        QTest::addColumn<qint64>("recorded");
        QTest::addRow("negative") << qint64(-5) << qint64(0);
        QTest::addRow("zero") << qint64(0) << qint64(0);
        QTest::addRow("one") << qint64(1) << qint64(1);
        QTest::addRow("one hour") << LatencyHistogram::maxValue << LatencyHistogram::maxValue;
        QTest::addRow("over an hour") << LatencyHistogram::maxValue + 1 << LatencyHistogram::maxValue;
        QTest::addRow("int64 max") << std::numeric_limits<qint64>::max() << LatencyHistogram::maxValue;
        QTest::addRow("int64 min") << std::numeric_limits<qint64>::min() << qint64(0);
    }

    void outOfRangeValuesClamp()
    {
        QFETCH(qint64, value);
        QFETCH(qint64, recorded);
        LatencyHistogram h;
        h.record(value);
        QCOMPARE(h.count(), 1);
        QCOMPARE(h.min(), recorded);
        QCOMPARE(h.max(), recorded);
        QCOMPARE(h.percentile(0.5), recorded);
        QCOMPARE(h.mean(), double(recorded));
    }

    void jsonIsInMilliseconds()
    {
        LatencyHistogram h;
        for (qint64 v : {1500, 1500, 1500, 2001})
            h.record(v);
        const QJsonObject json = h.toJson();
        const QStringList keys {QStringLiteral("count"), QStringLiteral("max_ms"), QStringLiteral("mean_ms"),
            QStringLiteral("min_ms"), QStringLiteral("p50_ms"), QStringLiteral("p90_ms"), QStringLiteral("p95_ms"),
            QStringLiteral("p999_ms"), QStringLiteral("p99_ms")};
        QCOMPARE(json.keys(), keys);
        QCOMPARE(json.value(QStringLiteral("count")).toInteger(), 4);
        QCOMPARE(json.value(QStringLiteral("min_ms")).toDouble(), 1.5);
        QCOMPARE(json.value(QStringLiteral("max_ms")).toDouble(), 2.001);
        QCOMPARE(json.value(QStringLiteral("mean_ms")).toDouble(), 1.625); // 6501 / 4 = 1625.25 µs
        QCOMPARE(json.value(QStringLiteral("p50_ms")).toDouble(), 1.503); // bucket 1496..1503
        QCOMPARE(json.value(QStringLiteral("p99_ms")).toDouble(), 2.001); // limited to the max
    }

    void cborRoundTrip_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addRow("empty") << QString();
        QTest::addRow("uniform") << QStringLiteral("uniform");
        QTest::addRow("constant") << QStringLiteral("constant");
        QTest::addRow("wide") << QStringLiteral("wide");
    }

    void cborRoundTrip()
    {
        QFETCH(QString, name);
        const LatencyHistogram h = histogramOf(distribution(name));
        const QByteArray cbor = h.toCbor();
        const auto back = LatencyHistogram::fromCbor(cbor);
        QVERIFY2(back.hasValue(), qPrintable(back.errorText()));
        QVERIFY(*back == h);
        QCOMPARE(back->toJson(), h.toJson());
        // Compact: only the non-empty buckets, a few bytes each.
        QVERIFY2(cbor.size() < 64 + 10 * LatencyHistogram::bucketCount(), qPrintable(QString::number(cbor.size())));
        if (name == QStringLiteral("constant"))
            QVERIFY2(cbor.size() < 80, qPrintable(QString::number(cbor.size())));
    }

    void fromCborRejectsBadData_data()
    {
        QTest::addColumn<QByteArray>("data");
        const auto good = [] {
            QCborMap map;
            map.insert(QStringLiteral("v"), 1);
            map.insert(QStringLiteral("count"), 2);
            map.insert(QStringLiteral("min"), 10);
            map.insert(QStringLiteral("max"), 10);
            map.insert(QStringLiteral("sum"), 20);
            map.insert(QStringLiteral("buckets"), QCborArray {10, 2});
            return map;
        };
        QTest::addRow("not cbor") << QByteArray("\xff\xff", 2);
        QTest::addRow("empty") << QByteArray();
        QTest::addRow("array") << QCborValue(QCborArray {1, 2}).toCbor();
        QCborMap version = good();
        version.insert(QStringLiteral("v"), 2);
        QTest::addRow("unknown version") << version.toCborValue().toCbor();
        QCborMap mismatch = good();
        mismatch.insert(QStringLiteral("count"), 3);
        QTest::addRow("count mismatch") << mismatch.toCborValue().toCbor();
        QCborMap index = good();
        index.insert(QStringLiteral("buckets"), QCborArray {100000, 2});
        QTest::addRow("bucket index out of range") << index.toCborValue().toCbor();
        QCborMap odd = good();
        odd.insert(QStringLiteral("buckets"), QCborArray {10});
        QTest::addRow("odd bucket list") << odd.toCborValue().toCbor();
        QCborMap minMax = good();
        minMax.insert(QStringLiteral("min"), 20);
        QTest::addRow("min over max") << minMax.toCborValue().toCbor();
    }

    void fromCborRejectsBadData()
    {
        QFETCH(QByteArray, data);
        const auto h = LatencyHistogram::fromCbor(data);
        QVERIFY(!h.hasValue());
        QCOMPARE(h.error().code, QStringLiteral("histogram.invalid"));
    }
};

QTEST_GUILESS_MAIN(TestHistogram)
#include "tst_histogram.moc"
