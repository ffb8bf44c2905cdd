// SPDX-License-Identifier: MIT
#include "models/statisticsmodels.h"
#include "store/connection.h"
#include "store/migrator.h"
#include "store/statistics.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>
#include <QTimeZone>

#include <memory>

using namespace voxtrack;
using namespace voxtrack::store;
using voxtrack::models::ActiveSessionsModel;
using voxtrack::models::DurationHistogramModel;
using voxtrack::models::HistogramModel;
using voxtrack::models::LatencyHistogramModel;
using voxtrack::models::LatencyPercentilesModel;
using voxtrack::models::MessagesByRoleModel;
using voxtrack::models::SessionsPerBucketModel;
using voxtrack::models::StatisticsLoader;
using voxtrack::models::StatisticsTableModel;
using voxtrack::models::TimeSeriesModel;
using voxtrack::test::TestDatabase;

namespace {

QDateTime at(const char* iso)
{
    const QDateTime time = QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODateWithMs);
    Q_ASSERT(time.isValid());
    return time.toUTC();
}

/// The sessions of the data set: id, started_at, ended_at (nullptr: still open), duration_seconds.
struct SessionSpec {
    const char* id;
    const char* startedAt;
    const char* endedAt;
    double duration;
};

const SessionSpec sessions[] = {
    {"s01", "2025-10-18T10:05:00.000Z", "2025-10-18T10:05:09.999Z", 9.999},
    {"s02", "2025-10-18T10:20:00.000Z", "2025-10-18T10:20:10.000Z", 10},
    {"s03", "2025-10-18T10:40:00.000Z", "2025-10-18T10:40:29.999Z", 29.999},
    {"s04", "2025-10-18T10:59:59.999Z", "2025-10-18T11:00:29.999Z", 30},
    {"s05", "2025-10-18T12:00:00.000Z", "2025-10-18T12:01:00.000Z", 60},
    {"s06", "2025-10-18T12:30:00.000Z", "2025-10-18T12:31:59.500Z", 119.5},
    {"s07", "2025-10-18T13:15:00.000Z", "2025-10-18T13:17:00.000Z", 120},
    {"s08", "2025-10-18T13:45:00.000Z", "2025-10-18T13:55:00.000Z", 600},
    {"s09", "2025-10-18T14:30:00.000Z", "2025-10-18T15:00:00.000Z", 1800},
    {"s10", "2025-10-18T15:10:00.000Z", nullptr, 0},
    {"s11", "2025-10-20T08:00:00.000Z", "2025-10-20T08:00:45.000Z", 45},
};

QString sessionInsert(const SessionSpec& session, bool postgres)
{
    const QString yes = postgres ? QStringLiteral("true") : QStringLiteral("1");
    const QString no = postgres ? QStringLiteral("false") : QStringLiteral("0");
    if (!session.endedAt) {
        return QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                              "is_active) VALUES ('%1', 'user-1', '%2', '%2', %3)")
            .arg(QString::fromLatin1(session.id), QString::fromLatin1(session.startedAt), yes);
    }
    return QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                          "session_end, ended_at, duration_seconds, is_active, end_reason) "
                          "VALUES ('%1', 'user-1', '%2', '%2', '%3', '%3', %4, %5, 'client_closed')")
        .arg(QString::fromLatin1(session.id), QString::fromLatin1(session.startedAt),
            QString::fromLatin1(session.endedAt), QString::number(session.duration, 'g', 17), no);
}

QString messageInsert(const QString& sessionId, const QString& role, const QString& createdAt, const QString& metadata)
{
    return QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, "
                          "metadata) VALUES ('%1', 'user-1', '%2', 'text', '%3', %4)")
        .arg(sessionId, role, createdAt, metadata.isNull() ? QStringLiteral("NULL") : u'\'' + metadata + u'\'');
}

/// Agent reply latencies of s05, one message a second from 12:00:01.
const int latencies[] = {999, 60, 8000, 250, 1500, 480, 120, 4999, 250, 1000, 2000, 500};

/// The known data set: the sessions above; messages of every role, 'assistant' and 'bot' among
/// them (planted past the role check, as a broken server would have them), and agent messages
/// with and without a numeric reply_latency_ms.
QStringList seed(bool postgres)
{
    QStringList statements;
    for (const SessionSpec& session : sessions)
        statements << sessionInsert(session, postgres);

    const QString s05 = QStringLiteral("s05");
    statements << messageInsert(s05, QStringLiteral("system"), QStringLiteral("2025-10-18T12:00:00.000Z"), {})
               << messageInsert(s05, QStringLiteral("user"), QStringLiteral("2025-10-18T12:00:00.500Z"),
                      QStringLiteral(R"({"reply_latency_ms": 99999})"));
    for (int second = 1; second <= 12; ++second) {
        statements << messageInsert(s05, QStringLiteral("agent"),
            QStringLiteral("2025-10-18T12:00:%1.000Z").arg(second, 2, 10, QLatin1Char('0')),
            QStringLiteral(R"({"reply_to": "x", "reply_latency_ms": %1})").arg(latencies[second - 1]));
    }
    const QString s06 = QStringLiteral("s06");
    const QString s07 = QStringLiteral("s07");
    statements << messageInsert(s06, QStringLiteral("user"), QStringLiteral("2025-10-18T12:30:01.000Z"), {})
               << messageInsert(
                      s06, QStringLiteral("agent"), QStringLiteral("2025-10-18T12:30:02.000Z"), QStringLiteral("{}"))
               << messageInsert(s06, QStringLiteral("agent"), QStringLiteral("2025-10-18T12:30:03.000Z"), {})
               << messageInsert(s07, QStringLiteral("user"), QStringLiteral("2025-10-18T13:15:01.000Z"), {})
               << messageInsert(s07, QStringLiteral("user"), QStringLiteral("2025-10-18T13:15:02.000Z"), {})
               << messageInsert(s07, QStringLiteral("agent"), QStringLiteral("2025-10-18T13:15:03.000Z"),
                      QStringLiteral(R"({"reply_latency_ms": "fast"})"))
               // Metadata that is not an object holding a number: left out, not an error.
               << messageInsert(s07, QStringLiteral("agent"), QStringLiteral("2025-10-18T13:15:04.000Z"),
                      postgres ? QStringLiteral("[1, 2]") : QStringLiteral("not json"));

    const QStringList badRoles {
        messageInsert(s06, QStringLiteral("assistant"), QStringLiteral("2025-10-18T12:30:04.000Z"),
            QStringLiteral(R"({"reply_latency_ms": 1})")),
        messageInsert(s07, QStringLiteral("bot"), QStringLiteral("2025-10-18T13:15:05.000Z"), {}),
        messageInsert(s07, QStringLiteral("bot"), QStringLiteral("2025-10-18T13:15:06.000Z"), {}),
    };
    if (postgres) {
        statements << QStringLiteral(
            "ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check")
                   << badRoles
                   << QStringLiteral("ALTER TABLE conversation_messages ADD CONSTRAINT "
                                     "conversation_messages_role_check CHECK (role IN ('user', 'agent', 'system')) "
                                     "NOT VALID");
    } else {
        statements << QStringLiteral("PRAGMA ignore_check_constraints=ON") << badRoles
                   << QStringLiteral("PRAGMA ignore_check_constraints=OFF");
    }
    return statements;
}

/// count buckets, all 0 but those given (index, count).
QList<qint64> sparse(int count, std::initializer_list<std::pair<int, qint64>> nonZero)
{
    QList<qint64> counts(count, 0);
    for (const auto& [index, value] : nonZero)
        counts[index] = value;
    return counts;
}

QList<qint64> countsOf(const TimeSeries& series)
{
    QList<qint64> counts;
    for (const BucketCount& bucket : series.buckets)
        counts << bucket.count;
    return counts;
}

template <typename Bin> QList<qint64> countsOf(const QList<Bin>& bins)
{
    QList<qint64> counts;
    for (const Bin& bin : bins)
        counts << bin.count;
    return counts;
}

/// Every bucket start follows the one before by exactly the bucket's width.
void verifyConsecutive(const TimeSeries& series, const QDateTime& first)
{
    QVERIFY(series.bucket != Bucket::Auto);
    const qint64 width = bucketSeconds(series.bucket);
    for (qsizetype index = 0; index < series.buckets.size(); ++index) {
        QCOMPARE(series.buckets.at(index).start, first.addSecs(width * index));
        QCOMPARE(series.buckets.at(index).start.timeSpec(), Qt::UTC);
    }
}

std::unique_ptr<TestDatabase> seededDatabase()
{
    auto created = TestDatabase::create();
    if (!created) {
        QTest::qFail(qPrintable(created.errorText()), __FILE__, __LINE__);
        return nullptr;
    }
    std::unique_ptr<TestDatabase> database = std::move(*created);
    auto connection = database->connect();
    if (!connection)
        return nullptr;
    const auto migrated = Migrator(*connection).migrate();
    if (!migrated) {
        QTest::qFail(qPrintable(migrated.errorText()), __FILE__, __LINE__);
        return nullptr;
    }
    const Status status = TestDatabase::execAll(*connection, seed(connection->isPostgreSql()));
    if (!status.isNull()) {
        QTest::qFail(qPrintable(status.toString()), __FILE__, __LINE__);
        return nullptr;
    }
    return database;
}

std::unique_ptr<Connection> openReadOnly(const TestDatabase& database)
{
    auto opened = Connection::open(database.url(), Connection::Access::ReadOnly);
    if (!opened) {
        QTest::qFail(qPrintable(opened.errorText()), __FILE__, __LINE__);
        return nullptr;
    }
    return std::move(*opened);
}

QString cell(const QAbstractItemModel& model, int row, int column, int role = Qt::DisplayRole)
{
    return model.index(row, column).data(role).toString();
}

} // namespace

class TestStatistics : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<Connection> m_connection;

    /// A tester for each of the loader's models, for as long as the loader lives.
    static std::vector<std::unique_ptr<QAbstractItemModelTester>> testModels(const StatisticsLoader& loader)
    {
        std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
        const QList<QAbstractItemModel*> models {loader.sessionsPerBucketModel(), loader.durationHistogramModel(),
            loader.messagesByRoleModel(), loader.activeSessionsModel(), loader.latencyPercentilesModel(),
            loader.latencyHistogramModel()};
        for (QAbstractItemModel* model : models) {
            testers.push_back(std::make_unique<QAbstractItemModelTester>(
                model, QAbstractItemModelTester::FailureReportingMode::QtTest));
        }
        return testers;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLocale::setDefault(QLocale::c());
        m_database = seededDatabase();
        QVERIFY(m_database);
        m_connection = openReadOnly(*m_database);
        QVERIFY(m_connection);
    }

    void cleanupTestCase()
    {
        m_connection.reset();
        m_database.reset();
    }

    void bucketArithmetic()
    {
        const QDateTime time = at("2025-10-18T13:47:12.345Z");
        QCOMPARE(bucketStart(time, Bucket::Minute), at("2025-10-18T13:47:00.000Z"));
        QCOMPARE(bucketStart(time, Bucket::Hour), at("2025-10-18T13:00:00.000Z"));
        QCOMPARE(bucketStart(time, Bucket::Day), at("2025-10-18T00:00:00.000Z"));
        // 2025-10-18 is a Saturday: its week began on Monday the 13th.
        QCOMPARE(bucketStart(time, Bucket::Week), at("2025-10-13T00:00:00.000Z"));
        QCOMPARE(bucketStart(at("2025-10-20T00:00:00.000Z"), Bucket::Week), at("2025-10-20T00:00:00.000Z"));
        // A time in another zone is bucketed by its UTC moment.
        const QDateTime offset = QDateTime::fromString(QStringLiteral("2025-10-18T01:30:00+02:00"), Qt::ISODate);
        QCOMPARE(bucketStart(offset, Bucket::Day), at("2025-10-17T00:00:00.000Z"));

        QCOMPARE(bucketCount(at("2025-10-18T10:05:00Z"), at("2025-10-18T12:00:00Z"), Bucket::Hour), 3);
        QCOMPARE(autoBucket(at("2025-10-18T12:00:00Z"), at("2025-10-18T15:19:59.999Z")), Bucket::Minute);
        QCOMPARE(autoBucket(at("2025-10-18T12:00:00Z"), at("2025-10-18T15:20:00Z")), Bucket::Hour);
        QCOMPARE(autoBucket(at("2025-10-01T00:00:00Z"), at("2025-10-31T00:00:00Z")), Bucket::Day);
        QCOMPARE(autoBucket(at("2020-01-01T00:00:00Z"), at("2025-01-01T00:00:00Z")), Bucket::Week);
    }

    void sessionsPerBucket_data()
    {
        QTest::addColumn<QDateTime>("from");
        QTest::addColumn<QDateTime>("to");
        QTest::addColumn<int>("bucket");
        QTest::addColumn<int>("expectedBucket");
        QTest::addColumn<QDateTime>("first");
        QTest::addColumn<QList<qint64>>("counts");

        const int hour = int(Bucket::Hour);
        // 46 hours from 10:00 on the 18th to 08:00 on the 20th: the empty ones are there with 0.
        QTest::addRow("hour, open range") << QDateTime() << QDateTime() << hour << hour << at("2025-10-18T10:00:00Z")
                                          << sparse(47, {{0, 4}, {2, 2}, {3, 2}, {4, 1}, {5, 1}, {46, 1}});
        QTest::addRow("hour, from inclusive, to exclusive")
            << at("2025-10-18T12:00:00Z") << at("2025-10-18T14:30:00Z") << hour << hour << at("2025-10-18T12:00:00Z")
            << QList<qint64> {2, 2};
        QTest::addRow("minute") << at("2025-10-18T12:00:00Z") << at("2025-10-18T12:31:00Z") << int(Bucket::Minute)
                                << int(Bucket::Minute) << at("2025-10-18T12:00:00Z") << sparse(31, {{0, 1}, {30, 1}});
        QTest::addRow("day") << QDateTime() << QDateTime() << int(Bucket::Day) << int(Bucket::Day)
                             << at("2025-10-18T00:00:00Z") << QList<qint64> {10, 0, 1};
        QTest::addRow("week, from Monday") << QDateTime() << QDateTime() << int(Bucket::Week) << int(Bucket::Week)
                                           << at("2025-10-13T00:00:00Z") << QList<qint64> {10, 1};
        QTest::addRow("auto, open range: hours for two days of data")
            << QDateTime() << QDateTime() << int(Bucket::Auto) << hour << at("2025-10-18T10:00:00Z")
            << sparse(47, {{0, 4}, {2, 2}, {3, 2}, {4, 1}, {5, 1}, {46, 1}});
        QTest::addRow("auto, two-hour range: minutes")
            << at("2025-10-18T12:00:00Z") << at("2025-10-18T14:00:00Z") << int(Bucket::Auto) << int(Bucket::Minute)
            << at("2025-10-18T12:00:00Z") << sparse(106, {{0, 1}, {30, 1}, {75, 1}, {105, 1}});
        QTest::addRow("auto, a month: days")
            << at("2025-10-01T00:00:00Z") << at("2025-11-01T00:00:00Z") << int(Bucket::Auto) << int(Bucket::Day)
            << at("2025-10-18T00:00:00Z") << QList<qint64> {10, 0, 1};
        QTest::addRow("nothing in range")
            << at("2030-01-01T00:00:00Z") << QDateTime() << hour << hour << QDateTime() << QList<qint64> {};
    }

    void sessionsPerBucket()
    {
        QFETCH(QDateTime, from);
        QFETCH(QDateTime, to);
        QFETCH(int, bucket);
        QFETCH(int, expectedBucket);
        QFETCH(QDateTime, first);
        QFETCH(QList<qint64>, counts);

        const auto series = store::sessionsPerBucket(*m_connection, {from, to}, Bucket(bucket));
        QVERIFY2(series.hasValue(), qPrintable(series.errorText()));
        QCOMPARE(int(series->bucket), expectedBucket);
        QCOMPARE(countsOf(*series), counts);
        if (!counts.isEmpty())
            verifyConsecutive(*series, first);
    }

    void durationHistogram_data()
    {
        QTest::addColumn<QDateTime>("from");
        QTest::addColumn<QDateTime>("to");
        QTest::addColumn<QList<qint64>>("counts");
        // Bins include their lower edge: 10 s is in 10–30 s, 30 s in 30–60 s, 1800 s in ≥ 30 min. The
        // open session has no duration and is left out.
        QTest::addRow("open range") << QDateTime() << QDateTime() << QList<qint64> {1, 2, 2, 2, 1, 0, 1, 1};
        QTest::addRow("range") << at("2025-10-18T12:00:00Z") << at("2025-10-18T14:30:00Z")
                               << QList<qint64> {0, 0, 0, 2, 1, 0, 1, 0};
        QTest::addRow("nothing in range")
            << at("2030-01-01T00:00:00Z") << QDateTime() << QList<qint64> {0, 0, 0, 0, 0, 0, 0, 0};
    }

    void durationHistogram()
    {
        QFETCH(QDateTime, from);
        QFETCH(QDateTime, to);
        QFETCH(QList<qint64>, counts);

        const auto bins = store::durationHistogram(*m_connection, {from, to});
        QVERIFY2(bins.hasValue(), qPrintable(bins.errorText()));
        QCOMPARE(countsOf(*bins), counts);

        QStringList labels;
        for (const DurationBin& bin : *bins)
            labels << bin.label;
        QCOMPARE(labels,
            QStringList({QStringLiteral("< 10 s"), QStringLiteral("10–30 s"), QStringLiteral("30–60 s"),
                QStringLiteral("1–2 min"), QStringLiteral("2–5 min"), QStringLiteral("5–10 min"),
                QStringLiteral("10–30 min"), QStringLiteral("≥ 30 min")}));
        QCOMPARE(bins->at(0).lowerSeconds, 0.0);
        QCOMPARE(bins->at(0).upperSeconds, std::optional<double>(10));
        QCOMPARE(bins->at(3).lowerSeconds, 60.0);
        QCOMPARE(bins->at(3).upperSeconds, std::optional<double>(120));
        QCOMPARE(bins->at(7).lowerSeconds, 1800.0);
        QVERIFY(!bins->at(7).upperSeconds);
    }

    void messagesByRole_data()
    {
        QTest::addColumn<QDateTime>("from");
        QTest::addColumn<QDateTime>("to");
        QTest::addColumn<QStringList>("roles");
        QTest::addColumn<QList<qint64>>("counts");
        QTest::addRow("open range") << QDateTime() << QDateTime()
                                    << QStringList(
                                           {QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("system"),
                                               QStringLiteral("assistant"), QStringLiteral("bot")})
                                    << QList<qint64> {4, 16, 1, 1, 2};
        QTest::addRow("12:00 to 13:00") << at("2025-10-18T12:00:00Z") << at("2025-10-18T13:00:00Z")
                                        << QStringList({QStringLiteral("user"), QStringLiteral("agent"),
                                               QStringLiteral("system"), QStringLiteral("assistant")})
                                        << QList<qint64> {2, 14, 1, 1};
        QTest::addRow("13:00 to 14:00, no system message")
            << at("2025-10-18T13:00:00Z") << at("2025-10-18T14:00:00Z")
            << QStringList({QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("bot")})
            << QList<qint64> {2, 2, 2};
        QTest::addRow("nothing in range")
            << at("2030-01-01T00:00:00Z") << QDateTime() << QStringList() << QList<qint64> {};
    }

    void messagesByRole()
    {
        QFETCH(QDateTime, from);
        QFETCH(QDateTime, to);
        QFETCH(QStringList, roles);
        QFETCH(QList<qint64>, counts);

        const auto result = store::messagesByRole(*m_connection, {from, to});
        QVERIFY2(result.hasValue(), qPrintable(result.errorText()));
        QStringList actualRoles;
        QList<qint64> actualCounts;
        for (const RoleCount& count : *result) {
            actualRoles << count.role;
            actualCounts << count.count;
        }
        QCOMPARE(actualRoles, roles);
        QCOMPARE(actualCounts, counts);
    }

    void activeSessionsOverTime_data()
    {
        QTest::addColumn<QDateTime>("from");
        QTest::addColumn<QDateTime>("to");
        QTest::addColumn<int>("bucket");
        QTest::addColumn<QDateTime>("first");
        QTest::addColumn<QList<qint64>>("counts");

        // 11:00 has s04, which ended at 11:00:29.999; 15:00 has s09, which ended at 15:00:00.000
        // exactly, and s10, still open. s05 starting at 12:00:00.000 is not in 11:00.
        QTest::addRow("hour, range") << at("2025-10-18T10:00:00Z") << at("2025-10-18T16:00:00Z") << int(Bucket::Hour)
                                     << at("2025-10-18T10:00:00Z") << QList<qint64> {4, 1, 2, 2, 1, 2};
        // The open session lasts until now (the 20th, 12:00); s11 joins it at 08:00 on the 20th.
        QList<qint64> open(51, 1);
        const QList<qint64> firstHours {4, 1, 2, 2, 1, 2};
        std::copy(firstHours.begin(), firstHours.end(), open.begin());
        open[46] = 2;
        QTest::addRow("hour, open range")
            << QDateTime() << QDateTime() << int(Bucket::Hour) << at("2025-10-18T10:00:00Z") << open;
        // A day counts every session open during it, also those before the range's start.
        QTest::addRow("day, from 12:00") << at("2025-10-18T12:00:00Z") << QDateTime() << int(Bucket::Day)
                                         << at("2025-10-18T00:00:00Z") << QList<qint64> {10, 1, 2};
        // s05 ended at 12:01:00.000: open at the first moment of 12:01.
        QTest::addRow("minute, an end on a bucket's start")
            << at("2025-10-18T12:00:00Z") << at("2025-10-18T12:03:00Z") << int(Bucket::Minute)
            << at("2025-10-18T12:00:00Z") << QList<qint64> {1, 1};
        QTest::addRow("nothing in range") << at("2030-01-01T00:00:00Z") << at("2031-01-01T00:00:00Z")
                                          << int(Bucket::Hour) << QDateTime() << QList<qint64> {};
    }

    void activeSessionsOverTime()
    {
        QFETCH(QDateTime, from);
        QFETCH(QDateTime, to);
        QFETCH(int, bucket);
        QFETCH(QDateTime, first);
        QFETCH(QList<qint64>, counts);

        const auto series
            = store::activeSessionsOverTime(*m_connection, {from, to}, Bucket(bucket), at("2025-10-20T12:00:00Z"));
        QVERIFY2(series.hasValue(), qPrintable(series.errorText()));
        QCOMPARE(int(series->bucket), bucket);
        QCOMPARE(countsOf(*series), counts);
        if (!counts.isEmpty())
            verifyConsecutive(*series, first);
    }

    void tooManyBuckets()
    {
        // The open session runs to now: minutes from October to January are far too many.
        const auto active
            = store::activeSessionsOverTime(*m_connection, {}, Bucket::Minute, at("2026-01-01T00:00:00Z"));
        QVERIFY(!active.hasValue());
        QCOMPARE(active.error().code, QStringLiteral("stats.too_many_buckets"));
        QVERIFY2(active.error().message.contains(u"larger bucket"), qPrintable(active.error().message));
        // Auto never is.
        const auto automatic
            = store::activeSessionsOverTime(*m_connection, {}, Bucket::Auto, at("2026-01-01T00:00:00Z"));
        QVERIFY2(automatic.hasValue(), qPrintable(automatic.errorText()));
        QCOMPARE(automatic->bucket, Bucket::Day);
        QCOMPARE(automatic->buckets.constFirst().count, 10);
        QCOMPARE(automatic->buckets.constLast().count, 1);
    }

    void replyLatency_data()
    {
        QTest::addColumn<QDateTime>("from");
        QTest::addColumn<QDateTime>("to");
        QTest::addColumn<qint64>("count");
        QTest::addColumn<QList<double>>("percentiles");
        QTest::addColumn<QList<qint64>>("histogram");

        // Sorted: 60 120 250 250 480 500 999 1000 1500 2000 4999 8000. Rank p × 11: p50 at 5.5
        // (500 and 999), p90 at 9.9 (2000 and 4999), p95 at 10.45 and p99 at 10.89 (4999 and 8000).
        QTest::addRow("all") << QDateTime() << QDateTime() << qint64(12)
                             << QList<double> {749.5, 4699.1, 6349.45, 7669.89} << QList<qint64> {1, 1, 3, 2, 2, 2, 1};
        // 480 120 4999 250 1000, sorted 120 250 480 1000 4999; ranks p × 4.
        QTest::addRow("five replies") << at("2025-10-18T12:00:06Z") << at("2025-10-18T12:00:11Z") << qint64(5)
                                      << QList<double> {480, 3399.4, 4199.2, 4839.04}
                                      << QList<qint64> {0, 1, 2, 0, 1, 1, 0};
        QTest::addRow("one reply") << at("2025-10-18T12:00:03Z") << at("2025-10-18T12:00:04Z") << qint64(1)
                                   << QList<double> {8000, 8000, 8000, 8000} << QList<qint64> {0, 0, 0, 0, 0, 0, 1};
        // Agent messages there, none with a number under the key: no data, not an error.
        QTest::addRow("no data") << at("2025-10-18T12:30:00Z") << at("2025-10-18T14:00:00Z") << qint64(0)
                                 << QList<double> {0, 0, 0, 0} << QList<qint64> {0, 0, 0, 0, 0, 0, 0};
    }

    void replyLatency()
    {
        QFETCH(QDateTime, from);
        QFETCH(QDateTime, to);
        QFETCH(qint64, count);
        QFETCH(QList<double>, percentiles);
        QFETCH(QList<qint64>, histogram);

        const auto latency = store::replyLatency(*m_connection, {from, to});
        QVERIFY2(latency.hasValue(), qPrintable(latency.errorText()));
        QCOMPARE(latency->count, count);
        QCOMPARE(latency->hasData(), count > 0);
        QCOMPARE(latency->p50, percentiles.at(0));
        QCOMPARE(latency->p90, percentiles.at(1));
        QCOMPARE(latency->p95, percentiles.at(2));
        QCOMPARE(latency->p99, percentiles.at(3));
        QCOMPARE(countsOf(latency->histogram), histogram);

        QStringList labels;
        for (const LatencyBin& bin : latency->histogram)
            labels << bin.label;
        QCOMPARE(labels,
            QStringList({QStringLiteral("< 100 ms"), QStringLiteral("100–250 ms"), QStringLiteral("250–500 ms"),
                QStringLiteral("500–1000 ms"), QStringLiteral("1–2 s"), QStringLiteral("2–5 s"),
                QStringLiteral("≥ 5 s")}));
        QCOMPARE(latency->histogram.at(4).lowerMs, 1000.0);
        QCOMPARE(latency->histogram.at(4).upperMs, std::optional<double>(2000));
        QVERIFY(!latency->histogram.constLast().upperMs);
    }

    void emptyDatabase()
    {
        VOXTRACK_TEST_DATABASE(database);
        {
            auto connection = database->connect();
            QVERIFY(connection);
            const auto migrated = Migrator(*connection).migrate();
            QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        }
        auto connection = openReadOnly(*database);
        QVERIFY(connection);

        const auto perBucket = store::sessionsPerBucket(*connection, {}, Bucket::Auto);
        QVERIFY2(perBucket.hasValue(), qPrintable(perBucket.errorText()));
        QVERIFY(perBucket->buckets.isEmpty());
        QVERIFY(perBucket->bucket != Bucket::Auto);
        const auto durations = store::durationHistogram(*connection, {});
        QVERIFY2(durations.hasValue(), qPrintable(durations.errorText()));
        QCOMPARE(countsOf(*durations), QList<qint64>(8, 0));
        const auto roles = store::messagesByRole(*connection, {});
        QVERIFY2(roles.hasValue(), qPrintable(roles.errorText()));
        QVERIFY(roles->isEmpty());
        const auto active = store::activeSessionsOverTime(*connection, {}, Bucket::Minute);
        QVERIFY2(active.hasValue(), qPrintable(active.errorText()));
        QVERIFY(active->buckets.isEmpty());
        const auto latency = store::replyLatency(*connection, {});
        QVERIFY2(latency.hasValue(), qPrintable(latency.errorText()));
        QCOMPARE(latency->count, 0);
        QVERIFY(!latency->hasData());
        QCOMPARE(countsOf(latency->histogram), QList<qint64>(7, 0));
    }

    void notAConversationDatabase()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto connection = database->connect();
        QVERIFY(connection);
        const TimeRange all;
        const auto errorOf = [](const auto& result) { return result.hasValue() ? Error() : result.error(); };
        const QList<Error> errors {errorOf(store::sessionsPerBucket(*connection, all, Bucket::Auto)),
            errorOf(store::durationHistogram(*connection, all)), errorOf(store::messagesByRole(*connection, all)),
            errorOf(store::activeSessionsOverTime(*connection, all, Bucket::Auto)),
            errorOf(store::replyLatency(*connection, all))};
        for (const Error& error : errors) {
            QCOMPARE(error.code, QStringLiteral("inspect.not_conversation_db"));
            QVERIFY2(error.message.contains(u"voxtrack-cli migrate"), qPrintable(error.message));
        }
    }

    void latencyWithoutMetadataColumn()
    {
        VOXTRACK_TEST_DATABASE(database);
        auto connection = database->connect();
        QVERIFY(connection);
        const auto migrated = Migrator(*connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection,
            {sessionInsert(sessions[4], connection->isPostgreSql()),
                messageInsert(QStringLiteral("s05"), QStringLiteral("agent"),
                    QStringLiteral("2025-10-18T12:00:01.000Z"), QStringLiteral(R"({"reply_latency_ms": 300})")),
                QStringLiteral("ALTER TABLE conversation_messages DROP COLUMN metadata")}));
        const auto latency = store::replyLatency(*connection, {});
        QVERIFY2(latency.hasValue(), qPrintable(latency.errorText()));
        QCOMPARE(latency->count, 0);
        QCOMPARE(countsOf(latency->histogram), QList<qint64>(7, 0));
        const auto roles = store::messagesByRole(*connection, {});
        QVERIFY2(roles.hasValue(), qPrintable(roles.errorText()));
        QCOMPARE(*roles, QList<RoleCount>({{QStringLiteral("agent"), 1}}));
    }

    void timeSeriesModels()
    {
        SessionsPerBucketModel sessionsModel;
        ActiveSessionsModel activeModel;
        QAbstractItemModelTester sessionsTester(&sessionsModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester activeTester(&activeModel, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(!sessionsModel.hasResults());
        QCOMPARE(sessionsModel.rowCount(), 0);
        QCOMPARE(sessionsModel.columnCount(), int(TimeSeriesModel::ColumnCount));
        QCOMPARE(sessionsModel.headerData(TimeSeriesModel::StartColumn, Qt::Horizontal).toString(),
            QStringLiteral("Start (UTC)"));
        QCOMPARE(sessionsModel.headerData(TimeSeriesModel::CountColumn, Qt::Horizontal).toString(),
            QStringLiteral("Sessions started"));
        QCOMPARE(activeModel.headerData(TimeSeriesModel::CountColumn, Qt::Horizontal).toString(),
            QStringLiteral("Active sessions"));

        const auto hours = store::sessionsPerBucket(
            *m_connection, {at("2025-10-18T10:00:00Z"), at("2025-10-18T16:00:00Z")}, Bucket::Hour);
        QVERIFY2(hours.hasValue(), qPrintable(hours.errorText()));
        sessionsModel.setSeries(*hours);
        QVERIFY(sessionsModel.hasResults());
        QCOMPARE(sessionsModel.rowCount(), 6);
        QCOMPARE(cell(sessionsModel, 0, TimeSeriesModel::StartColumn), QStringLiteral("10:00"));
        QCOMPARE(cell(sessionsModel, 2, TimeSeriesModel::StartColumn), QStringLiteral("12:00"));
        QCOMPARE(cell(sessionsModel, 0, TimeSeriesModel::CountColumn), QStringLiteral("4"));
        QCOMPARE(cell(sessionsModel, 1, TimeSeriesModel::CountColumn), QStringLiteral("0"));
        const QVariant start
            = sessionsModel.index(2, TimeSeriesModel::StartColumn).data(StatisticsTableModel::ValueRole);
        QCOMPARE(start.metaType(), QMetaType::fromType<QDateTime>());
        QCOMPARE(start.toDateTime(), at("2025-10-18T12:00:00Z"));
        const QVariant count
            = sessionsModel.index(2, TimeSeriesModel::CountColumn).data(StatisticsTableModel::ValueRole);
        QCOMPARE(count.metaType(), QMetaType::fromType<qint64>());
        QCOMPARE(count.toLongLong(), 2);
        QCOMPARE(cell(sessionsModel, 2, TimeSeriesModel::StartColumn, Qt::ToolTipRole),
            QStringLiteral("2025-10-18 12:00 UTC"));

        // Over more than one day, hours show their date.
        const auto active = store::activeSessionsOverTime(*m_connection, {}, Bucket::Hour, at("2025-10-20T12:00:00Z"));
        QVERIFY2(active.hasValue(), qPrintable(active.errorText()));
        activeModel.setSeries(*active);
        QCOMPARE(activeModel.rowCount(), 51);
        QCOMPARE(cell(activeModel, 46, TimeSeriesModel::StartColumn), QStringLiteral("2025-10-20 08:00"));
        QCOMPARE(cell(activeModel, 46, TimeSeriesModel::CountColumn), QStringLiteral("2"));

        const auto days = store::sessionsPerBucket(*m_connection, {}, Bucket::Day);
        QVERIFY2(days.hasValue(), qPrintable(days.errorText()));
        sessionsModel.setSeries(*days);
        QCOMPARE(sessionsModel.bucket(), Bucket::Day);
        QCOMPARE(sessionsModel.rowCount(), 3);
        QCOMPARE(cell(sessionsModel, 1, TimeSeriesModel::StartColumn), QStringLiteral("2025-10-19"));
    }

    void modelsUpdateInPlace()
    {
        SessionsPerBucketModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        const auto series = [](std::initializer_list<std::pair<const char*, qint64>> buckets) {
            TimeSeries result {Bucket::Hour, {}};
            for (const auto& [start, count] : buckets)
                result.buckets.append({at(start), count});
            return result;
        };

        model.setSeries(series({{"2025-10-18T10:00:00Z", 1}, {"2025-10-18T11:00:00Z", 2}}));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(model.rowCount(), 2);
        // The same buckets with new counts: in place.
        model.setSeries(series({{"2025-10-18T10:00:00Z", 1}, {"2025-10-18T11:00:00Z", 3}}));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(cell(model, 1, TimeSeriesModel::CountColumn), QStringLiteral("3"));
        // Identical numbers: no signal at all.
        model.setSeries(series({{"2025-10-18T10:00:00Z", 1}, {"2025-10-18T11:00:00Z", 3}}));
        QCOMPARE(changed.count(), 1);
        // A new bucket at the end: inserted.
        model.setSeries(
            series({{"2025-10-18T10:00:00Z", 1}, {"2025-10-18T11:00:00Z", 3}, {"2025-10-18T12:00:00Z", 1}}));
        QCOMPARE(inserted.count(), 2);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(reset.count(), 0);
        // Fewer buckets at the end: removed.
        model.setSeries(series({{"2025-10-18T10:00:00Z", 1}}));
        QCOMPARE(removed.count(), 1);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(reset.count(), 0);
        // Another first bucket, or another width: reset.
        model.setSeries(series({{"2025-10-18T09:00:00Z", 5}}));
        QCOMPARE(reset.count(), 1);
        model.setSeries(TimeSeries {Bucket::Minute, {{at("2025-10-18T09:00:00Z"), 5}}});
        QCOMPARE(reset.count(), 2);
        QCOMPARE(model.bucket(), Bucket::Minute);

        DurationHistogramModel histogram;
        QAbstractItemModelTester histogramTester(&histogram, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy histogramReset(&histogram, &QAbstractItemModel::modelReset);
        QSignalSpy histogramChanged(&histogram, &QAbstractItemModel::dataChanged);
        const auto all = store::durationHistogram(*m_connection, {});
        const auto some
            = store::durationHistogram(*m_connection, {at("2025-10-18T12:00:00Z"), at("2025-10-18T14:30:00Z")});
        QVERIFY(all.hasValue() && some.hasValue());
        histogram.setBins(*all);
        histogram.setBins(*some);
        QCOMPARE(histogramReset.count(), 0);
        QCOMPARE(histogramChanged.count(), 1);
        QCOMPARE(histogram.total(), 4);
    }

    void histogramModels()
    {
        DurationHistogramModel durations;
        LatencyHistogramModel latencies;
        LatencyPercentilesModel percentiles;
        QAbstractItemModelTester durationsTester(&durations, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester latenciesTester(&latencies, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester percentilesTester(
            &percentiles, QAbstractItemModelTester::FailureReportingMode::QtTest);

        const auto bins = store::durationHistogram(*m_connection, {});
        QVERIFY2(bins.hasValue(), qPrintable(bins.errorText()));
        durations.setBins(*bins);
        QCOMPARE(durations.rowCount(), 8);
        QCOMPARE(durations.total(), 10);
        QCOMPARE(
            durations.headerData(HistogramModel::RangeColumn, Qt::Horizontal).toString(), QStringLiteral("Duration"));
        QCOMPARE(
            durations.headerData(HistogramModel::CountColumn, Qt::Horizontal).toString(), QStringLiteral("Sessions"));
        QCOMPARE(cell(durations, 0, HistogramModel::RangeColumn), QStringLiteral("< 10 s"));
        QCOMPARE(cell(durations, 0, HistogramModel::FromColumn), QStringLiteral("0 s"));
        QCOMPARE(cell(durations, 0, HistogramModel::ToColumn), QStringLiteral("10 s"));
        QCOMPARE(cell(durations, 3, HistogramModel::RangeColumn), QStringLiteral("1–2 min"));
        QCOMPARE(cell(durations, 3, HistogramModel::FromColumn), QStringLiteral("1 min"));
        QCOMPARE(cell(durations, 3, HistogramModel::ToColumn), QStringLiteral("2 min"));
        QCOMPARE(cell(durations, 3, HistogramModel::CountColumn), QStringLiteral("2"));
        QCOMPARE(durations.index(3, HistogramModel::FromColumn).data(StatisticsTableModel::ValueRole).toDouble(), 60.0);
        QCOMPARE(durations.index(3, HistogramModel::ToColumn).data(StatisticsTableModel::ValueRole).toDouble(), 120.0);
        QCOMPARE(durations.index(3, HistogramModel::CountColumn).data(StatisticsTableModel::ValueRole).toLongLong(), 2);
        QCOMPARE(cell(durations, 7, HistogramModel::RangeColumn), QStringLiteral("≥ 30 min"));
        QVERIFY(!durations.index(7, HistogramModel::ToColumn).data().isValid());
        QVERIFY(!durations.index(7, HistogramModel::ToColumn).data(StatisticsTableModel::ValueRole).isValid());

        const auto latency = store::replyLatency(*m_connection, {});
        QVERIFY2(latency.hasValue(), qPrintable(latency.errorText()));
        latencies.setLatency(*latency);
        percentiles.setLatency(*latency);
        QCOMPARE(latencies.rowCount(), 7);
        QCOMPARE(latencies.total(), 12);
        QCOMPARE(
            latencies.headerData(HistogramModel::CountColumn, Qt::Horizontal).toString(), QStringLiteral("Replies"));
        QCOMPARE(cell(latencies, 3, HistogramModel::RangeColumn), QStringLiteral("500–1000 ms"));
        QCOMPARE(cell(latencies, 3, HistogramModel::FromColumn), QStringLiteral("500 ms"));
        QCOMPARE(cell(latencies, 3, HistogramModel::ToColumn), QStringLiteral("1 s"));

        QCOMPARE(percentiles.sampleCount(), 12);
        QCOMPARE(percentiles.rowCount(), 4);
        QCOMPARE(percentiles.headerData(LatencyPercentilesModel::LatencyColumn, Qt::Horizontal).toString(),
            QStringLiteral("Latency"));
        QCOMPARE(cell(percentiles, 0, LatencyPercentilesModel::PercentileColumn), QStringLiteral("p50"));
        QCOMPARE(cell(percentiles, 0, LatencyPercentilesModel::LatencyColumn), QStringLiteral("749.5 ms"));
        QCOMPARE(cell(percentiles, 1, LatencyPercentilesModel::LatencyColumn), QStringLiteral("4.7 s"));
        QCOMPARE(cell(percentiles, 2, LatencyPercentilesModel::PercentileColumn), QStringLiteral("p95"));
        QCOMPARE(cell(percentiles, 2, LatencyPercentilesModel::LatencyColumn), QStringLiteral("6.35 s"));
        QCOMPARE(cell(percentiles, 3, LatencyPercentilesModel::LatencyColumn), QStringLiteral("7.67 s"));
        QCOMPARE(percentiles.index(3, LatencyPercentilesModel::PercentileColumn)
                     .data(StatisticsTableModel::ValueRole)
                     .toDouble(),
            0.99);
        QCOMPARE(percentiles.index(3, LatencyPercentilesModel::LatencyColumn)
                     .data(StatisticsTableModel::ValueRole)
                     .toDouble(),
            7669.89);

        // No data: no percentile rows, every latency bin at 0.
        const auto none = store::replyLatency(*m_connection, {at("2025-10-18T12:30:00Z"), at("2025-10-18T14:00:00Z")});
        QVERIFY2(none.hasValue(), qPrintable(none.errorText()));
        percentiles.setLatency(*none);
        latencies.setLatency(*none);
        QCOMPARE(percentiles.rowCount(), 0);
        QCOMPARE(percentiles.sampleCount(), 0);
        QVERIFY(percentiles.hasResults());
        QCOMPARE(latencies.rowCount(), 7);
        QCOMPARE(latencies.total(), 0);
    }

    void messagesByRoleModel()
    {
        MessagesByRoleModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto roles = store::messagesByRole(*m_connection, {});
        QVERIFY2(roles.hasValue(), qPrintable(roles.errorText()));
        model.setCounts(*roles);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.total(), 24);
        QCOMPARE(model.headerData(MessagesByRoleModel::RoleColumn, Qt::Horizontal).toString(), QStringLiteral("Role"));
        QCOMPARE(
            model.headerData(MessagesByRoleModel::CountColumn, Qt::Horizontal).toString(), QStringLiteral("Messages"));
        QCOMPARE(cell(model, 0, MessagesByRoleModel::RoleColumn), QStringLiteral("user"));
        QCOMPARE(cell(model, 1, MessagesByRoleModel::CountColumn), QStringLiteral("16"));
        QCOMPARE(cell(model, 1, MessagesByRoleModel::ShareColumn), QStringLiteral("66.7 %"));
        QCOMPARE(model.index(1, MessagesByRoleModel::ShareColumn).data(StatisticsTableModel::ValueRole).toDouble(),
            16.0 / 24.0);
        QCOMPARE(model.index(1, 0).data(MessagesByRoleModel::AllowedRole).toBool(), true);
        // The bad role is there as stored, flagged.
        QCOMPARE(cell(model, 3, MessagesByRoleModel::RoleColumn), QStringLiteral("assistant"));
        QCOMPARE(model.index(3, 0).data(MessagesByRoleModel::AllowedRole).toBool(), false);
        QVERIFY(cell(model, 3, MessagesByRoleModel::RoleColumn, Qt::ToolTipRole).contains(u"not an allowed role"));
        QVERIFY(!model.index(0, 0).data(Qt::ToolTipRole).isValid());
        QVERIFY(model.roleNames().contains(MessagesByRoleModel::AllowedRole));

        // Fewer roles: the rows at the end go, and every share changes with the total.
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setCounts({{QStringLiteral("user"), 1}, {QStringLiteral("agent"), 1}});
        QCOMPARE(reset.count(), 0);
        QCOMPARE(removed.count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(cell(model, 0, MessagesByRoleModel::ShareColumn), QStringLiteral("50 %"));
        // Another role where one was: a reset.
        model.setCounts({{QStringLiteral("agent"), 1}});
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 1);
    }

    void loaderDeliversToModels()
    {
        StatisticsLoader loader;
        const auto testers = testModels(loader);
        QSignalSpy loaded(&loader, &StatisticsLoader::loaded);
        QSignalSpy failed(&loader, &StatisticsLoader::failed);
        QSignalSpy loading(&loader, &StatisticsLoader::loadingChanged);
        loader.setDatabaseUrl(m_database->url().toString());
        loader.setRange(at("2025-10-18T10:00:00Z"), at("2025-10-18T16:00:00Z"));
        loader.setBucket(Bucket::Hour);
        QCOMPARE(loader.range(), TimeRange({at("2025-10-18T10:00:00Z"), at("2025-10-18T16:00:00Z")}));
        loader.reload();
        QVERIFY(loader.isLoading());
        QCOMPARE(loading.count(), 1);
        // Asynchronous: nothing has arrived yet.
        QCOMPARE(loader.sessionsPerBucketModel()->rowCount(), 0);
        QVERIFY(!loader.sessionsPerBucketModel()->hasResults());

        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!loader.isLoading());
        QCOMPARE(loading.count(), 2);
        QCOMPARE(loaded.constFirst().constFirst().value<StatisticsLoader::Statistics>(),
            StatisticsLoader::Statistics(StatisticsLoader::Statistic::All));

        QCOMPARE(countsOf(loader.sessionsPerBucketModel()->series()), QList<qint64>({4, 0, 2, 2, 1, 1}));
        QCOMPARE(countsOf(loader.activeSessionsModel()->series()), QList<qint64>({4, 1, 2, 2, 1, 2}));
        QCOMPARE(loader.durationHistogramModel()->rowCount(), 8);
        QCOMPARE(cell(*loader.durationHistogramModel(), 2, HistogramModel::CountColumn), QStringLiteral("1"));
        QCOMPARE(loader.messagesByRoleModel()->rowCount(), 5);
        QCOMPARE(cell(*loader.messagesByRoleModel(), 3, MessagesByRoleModel::RoleColumn), QStringLiteral("assistant"));
        QCOMPARE(loader.latencyPercentilesModel()->sampleCount(), 12);
        QCOMPARE(cell(*loader.latencyPercentilesModel(), 0, LatencyPercentilesModel::LatencyColumn),
            QStringLiteral("749.5 ms"));
        QCOMPARE(loader.latencyHistogramModel()->total(), 12);
    }

    void loaderReloadShowsNewRows()
    {
        auto database = seededDatabase();
        QVERIFY(database);
        StatisticsLoader loader;
        const auto testers = testModels(loader);
        QSignalSpy loaded(&loader, &StatisticsLoader::loaded);
        QSignalSpy failed(&loader, &StatisticsLoader::failed);
        loader.setDatabaseUrl(database->url().toString());
        loader.setRange(at("2025-10-18T10:00:00Z"), at("2025-10-18T16:00:00Z"));
        loader.setBucket(Bucket::Hour);
        loader.reload();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        QCOMPARE(loader.sessionsPerBucketModel()->series().buckets.at(5).count, 1);

        {
            auto connection = database->connect();
            QVERIFY(connection);
            VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection,
                {sessionInsert(
                     {"s12", "2025-10-18T15:30:00.000Z", "2025-10-18T15:30:05.000Z", 5}, connection->isPostgreSql()),
                    messageInsert(QStringLiteral("s12"), QStringLiteral("agent"),
                        QStringLiteral("2025-10-18T15:30:01.000Z"), QStringLiteral(R"({"reply_latency_ms": 70})"))}));
        }
        QSignalSpy reset(loader.sessionsPerBucketModel(), &QAbstractItemModel::modelReset);
        QSignalSpy changed(loader.sessionsPerBucketModel(), &QAbstractItemModel::dataChanged);
        loader.reload();
        // While loading, the models keep the previous numbers.
        QCOMPARE(loader.sessionsPerBucketModel()->series().buckets.at(5).count, 1);
        QCOMPARE(loader.latencyPercentilesModel()->sampleCount(), 12);

        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30000);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(countsOf(loader.sessionsPerBucketModel()->series()), QList<qint64>({4, 0, 2, 2, 1, 2}));
        QCOMPARE(cell(*loader.sessionsPerBucketModel(), 5, TimeSeriesModel::CountColumn), QStringLiteral("2"));
        // The same buckets: updated in place, not reset.
        QCOMPARE(reset.count(), 0);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(countsOf(loader.activeSessionsModel()->series()), QList<qint64>({4, 1, 2, 2, 1, 3}));
        QCOMPARE(loader.durationHistogramModel()->histogramBins().constFirst().count, 2);
        QCOMPARE(loader.messagesByRoleModel()->counts().at(1), RoleCount({QStringLiteral("agent"), 17}));
        QCOMPARE(loader.latencyPercentilesModel()->sampleCount(), 13);
        QCOMPARE(loader.latencyHistogramModel()->histogramBins().constFirst().count, 2);
    }

    void loaderReportsErrors_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("code");
        QTest::addRow("unknown scheme") << QStringLiteral("mysql://x") << QStringLiteral("url.scheme");
        QTest::addRow("no URL") << QString() << QStringLiteral("url.empty");
        QTest::addRow("missing SQLite file (a read-only open does not create it)")
            << QStringLiteral("sqlite:///nonexistent-voxtrack-dir/none.db") << QStringLiteral("db.not_found");
        QTest::addRow("not a conversation database")
            << QStringLiteral("{empty}") << QStringLiteral("inspect.not_conversation_db");
    }

    void loaderReportsErrors()
    {
        QFETCH(QString, url);
        QFETCH(QString, code);
        std::unique_ptr<TestDatabase> empty;
        if (url == u"{empty}") {
            VOXTRACK_TEST_DATABASE(database);
            QVERIFY(database->connect()); // creates the SQLite file; the tables are not made
            url = database->url().toString();
            empty = std::move(database);
        }

        StatisticsLoader loader;
        const auto testers = testModels(loader);
        QSignalSpy loaded(&loader, &StatisticsLoader::loaded);
        QSignalSpy failed(&loader, &StatisticsLoader::failed);
        loader.setDatabaseUrl(m_database->url().toString());
        loader.setRange(at("2025-10-18T10:00:00Z"), at("2025-10-18T16:00:00Z"));
        loader.reload(StatisticsLoader::Statistic::MessagesByRole);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        QCOMPARE(loader.messagesByRoleModel()->rowCount(), 5);

        loader.setDatabaseUrl(url);
        QCOMPARE(loader.databaseUrl(), url);
        loader.reload();
        // Even a URL that does not parse is answered asynchronously.
        QCOMPARE(failed.count(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QCOMPARE(loaded.count(), 1);
        QVERIFY(!loader.isLoading());
        const auto error = failed.constFirst().constFirst().value<Error>();
        QCOMPARE(error.code, code);
        QVERIFY(!error.message.isEmpty());
        // The previous numbers stay.
        QCOMPARE(loader.messagesByRoleModel()->rowCount(), 5);
        QVERIFY(!loader.sessionsPerBucketModel()->hasResults());
    }

    void loaderSupersedesOlderRuns()
    {
        StatisticsLoader loader;
        const auto testers = testModels(loader);
        QSignalSpy loaded(&loader, &StatisticsLoader::loaded);
        QSignalSpy failed(&loader, &StatisticsLoader::failed);
        loader.setDatabaseUrl(m_database->url().toString());
        loader.reload();
        loader.setRange(at("2025-10-18T13:00:00Z"), at("2025-10-18T14:00:00Z"));
        loader.reload(StatisticsLoader::Statistic::MessagesByRole);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        // Runs go one at a time and report in order: the first one's results, had they come,
        // would have come before these.
        QCOMPARE(loaded.count(), 1);
        QCOMPARE(failed.count(), 0);
        QCOMPARE(loaded.constFirst().constFirst().value<StatisticsLoader::Statistics>(),
            StatisticsLoader::Statistics(StatisticsLoader::Statistic::MessagesByRole));
        QCOMPARE(loader.messagesByRoleModel()->counts(),
            QList<RoleCount>({{QStringLiteral("user"), 2}, {QStringLiteral("agent"), 2}, {QStringLiteral("bot"), 2}}));
        QVERIFY(!loader.sessionsPerBucketModel()->hasResults());
        QVERIFY(!loader.latencyPercentilesModel()->hasResults());

        // A cancelled run reports nothing either.
        loader.reload();
        loader.cancel();
        QVERIFY(!loader.isLoading());
        loader.reload(StatisticsLoader::Statistic::DurationHistogram);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 2, 30000);
        QCOMPARE(loaded.at(1).constFirst().value<StatisticsLoader::Statistics>(),
            StatisticsLoader::Statistics(StatisticsLoader::Statistic::DurationHistogram));
        QCOMPARE(countsOf(loader.durationHistogramModel()->histogramBins()), QList<qint64>({0, 0, 0, 0, 1, 0, 1, 0}));
        QVERIFY(!loader.sessionsPerBucketModel()->hasResults());
    }

    void loaderOnAnEmptyDatabase()
    {
        VOXTRACK_TEST_DATABASE(database);
        {
            auto connection = database->connect();
            QVERIFY(connection);
            const auto migrated = Migrator(*connection).migrate();
            QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        }
        StatisticsLoader loader;
        const auto testers = testModels(loader);
        QSignalSpy loaded(&loader, &StatisticsLoader::loaded);
        QSignalSpy failed(&loader, &StatisticsLoader::failed);
        loader.setDatabaseUrl(database->url().toString());
        loader.reload();
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        QCOMPARE(failed.count(), 0);
        QVERIFY(loader.sessionsPerBucketModel()->hasResults());
        QCOMPARE(loader.sessionsPerBucketModel()->rowCount(), 0);
        QCOMPARE(loader.activeSessionsModel()->rowCount(), 0);
        QCOMPARE(loader.messagesByRoleModel()->rowCount(), 0);
        QCOMPARE(loader.durationHistogramModel()->rowCount(), 8);
        QCOMPARE(loader.durationHistogramModel()->total(), 0);
        QCOMPARE(loader.latencyPercentilesModel()->rowCount(), 0);
        QCOMPARE(loader.latencyPercentilesModel()->sampleCount(), 0);
        QCOMPARE(loader.latencyHistogramModel()->rowCount(), 7);
        QCOMPARE(loader.latencyHistogramModel()->total(), 0);
    }

    void destroyingALoadingLoaderIsSafe()
    {
        auto loader = std::make_unique<StatisticsLoader>();
        QSignalSpy loaded(loader.get(), &StatisticsLoader::loaded);
        loader->setDatabaseUrl(m_database->url().toString());
        loader->reload();
        loader.reset();
        QCoreApplication::processEvents();
        QCOMPARE(loaded.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestStatistics)
#include "tst_statistics.moc"
