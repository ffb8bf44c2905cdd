// SPDX-License-Identifier: MIT
#include "models/chartvalueproxy.h"
#include "models/statisticsmodels.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QLoggingCategory>
#include <QSignalSpy>
#include <QTest>

using namespace voxtrack;
using voxtrack::models::ChartValueProxy;
using voxtrack::models::HistogramModel;
using voxtrack::models::MessagesByRoleModel;
using voxtrack::models::StatisticsLoader;
using voxtrack::models::StatisticsTableModel;
using voxtrack::models::TimeSeriesModel;
using voxtrack::test::TestDatabase;

class TestChartValueProxy : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<store::Connection> m_writer;

    void addSession(const QString& id, const QString& startedAt, int durationSeconds)
    {
        const QDateTime start = QDateTime::fromString(startedAt, Qt::ISODate);
        const QString end = start.addSecs(durationSeconds).toString(Qt::ISODateWithMs);
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "session_end, ended_at, duration_seconds, is_active) "
                           "VALUES ('%1', 'user-1', '%2', '%2', '%3', '%3', %4, %5)")
                .arg(id, startedAt, end, QString::number(durationSeconds),
                    m_database->isPostgreSql() ? QStringLiteral("false") : QStringLiteral("0"))));
    }

    void addMessage(const QString& sessionId, const QString& role, const QString& createdAt)
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, "
                                                         "role, content, created_at, metadata) VALUES ('%1', "
                                                         "'user-1', '%2', 'text', '%3', '{\"reply_latency_ms\": 420}')")
                                              .arg(sessionId, role, createdAt)));
    }

    /// Reloads loader and waits for its models to have the database's numbers.
    static void load(StatisticsLoader& loader)
    {
        QSignalSpy loaded(&loader, &StatisticsLoader::loaded);
        QSignalSpy failed(&loader, &StatisticsLoader::failed);
        loader.reload();
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty() || !failed.isEmpty(), 10000);
        if (!failed.isEmpty())
            QFAIL(qPrintable(failed.constFirst().constFirst().value<Error>().toString()));
    }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_writer = m_database->connectMigrated();
        QVERIFY(m_writer);
        addSession(QStringLiteral("s1"), QStringLiteral("2025-10-18T10:05:00.000Z"), 5);
        addSession(QStringLiteral("s2"), QStringLiteral("2025-10-18T10:05:30.000Z"), 45);
        addSession(QStringLiteral("s3"), QStringLiteral("2025-10-18T10:07:00.000Z"), 200);
        addMessage(QStringLiteral("s1"), QStringLiteral("user"), QStringLiteral("2025-10-18T10:05:01.000Z"));
        addMessage(QStringLiteral("s1"), QStringLiteral("agent"), QStringLiteral("2025-10-18T10:05:02.000Z"));
    }

    void cleanup()
    {
        m_writer.reset();
        m_database.reset();
    }

    void timeSeriesAsNumbers()
    {
        StatisticsLoader loader;
        loader.setDatabaseUrl(m_database->url().toString());
        loader.setBucket(store::Bucket::Minute);
        ChartValueProxy proxy(loader.sessionsPerBucketModel(), nullptr);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        load(loader);

        QCOMPARE(proxy.rowCount(), 3); // 10:05, 10:06 (empty), 10:07
        QCOMPARE(proxy.columnCount(), int(TimeSeriesModel::ColumnCount));
        const QDateTime first = QDateTime::fromString(QStringLiteral("2025-10-18T10:05:00Z"), Qt::ISODate);
        const QList<qint64> counts {2, 0, 1};
        for (int row = 0; row < proxy.rowCount(); ++row) {
            const QVariant start = proxy.index(row, TimeSeriesModel::StartColumn).data();
            QCOMPARE(start.metaType().id(), QMetaType::Double);
            QCOMPARE(start.toDouble(), double(first.addSecs(60 * row).toMSecsSinceEpoch()));
            QCOMPARE(proxy.index(row, TimeSeriesModel::CountColumn).data().toLongLong(), counts.at(row));
        }
        // Everything but DisplayRole is the source's.
        QCOMPARE(
            proxy.index(0, TimeSeriesModel::StartColumn).data(StatisticsTableModel::ValueRole).toDateTime(), first);
        QCOMPARE(proxy.index(0, TimeSeriesModel::StartColumn).data(Qt::ToolTipRole),
            loader.sessionsPerBucketModel()->index(0, TimeSeriesModel::StartColumn).data(Qt::ToolTipRole));
        QCOMPARE(proxy.headerData(TimeSeriesModel::CountColumn, Qt::Horizontal).toString(),
            QStringLiteral("Sessions started"));

        // The numbers follow the database, through the source's signals.
        QSignalSpy changed(&proxy, &QAbstractItemModel::dataChanged);
        addSession(QStringLiteral("s4"), QStringLiteral("2025-10-18T10:06:10.000Z"), 5);
        load(loader);
        QVERIFY(!changed.isEmpty());
        QCOMPARE(proxy.index(1, TimeSeriesModel::CountColumn).data().toLongLong(), 1);
    }

    void histogramAndRolesKeepTheirLabels()
    {
        StatisticsLoader loader;
        loader.setDatabaseUrl(m_database->url().toString());
        ChartValueProxy durations(loader.durationHistogramModel(), nullptr);
        ChartValueProxy roles(loader.messagesByRoleModel(), nullptr);
        ChartValueProxy percentiles(loader.latencyPercentilesModel(), nullptr);
        QAbstractItemModelTester durationsTester(&durations, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester rolesTester(&roles, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester percentilesTester(
            &percentiles, QAbstractItemModelTester::FailureReportingMode::QtTest);
        load(loader);

        QCOMPARE(durations.rowCount(), 8);
        QCOMPARE(durations.index(0, HistogramModel::RangeColumn).data().toString(), QStringLiteral("< 10 s"));
        QCOMPARE(durations.index(2, HistogramModel::RangeColumn).data().toString(), QStringLiteral("30–60 s"));
        const QList<qint64> counts {1, 0, 1, 0, 1, 0, 0, 0};
        for (int row = 0; row < durations.rowCount(); ++row)
            QCOMPARE(durations.index(row, HistogramModel::CountColumn).data().toLongLong(), counts.at(row));
        QCOMPARE(durations.index(1, HistogramModel::FromColumn).data().toDouble(), 10.0);
        QVERIFY(!durations.index(7, HistogramModel::ToColumn).data().isValid()); // open-ended

        QCOMPARE(roles.rowCount(), 2);
        QCOMPARE(roles.index(0, MessagesByRoleModel::RoleColumn).data().toString(), QStringLiteral("user"));
        QCOMPARE(roles.index(1, MessagesByRoleModel::CountColumn).data().toLongLong(), 1);
        QCOMPARE(roles.index(1, MessagesByRoleModel::ShareColumn).data().toDouble(), 0.5);
        QVERIFY(roles.index(1, MessagesByRoleModel::RoleColumn).data(MessagesByRoleModel::AllowedRole).toBool());

        QCOMPARE(percentiles.rowCount(), 4);
        QCOMPARE(percentiles.index(0, 1).data().toDouble(), 420.0);

        // Read-only: a series edited by hand cannot write into the statistics.
        QVERIFY(!(roles.flags(roles.index(0, 1)) & Qt::ItemIsEditable));
        QVERIFY(!roles.setData(roles.index(0, 1), 7));
        QCOMPARE(roles.index(0, 1).data().toLongLong(), 1);
    }

    void followsItsSource()
    {
        StatisticsLoader loader;
        loader.setDatabaseUrl(m_database->url().toString());
        ChartValueProxy proxy;
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(proxy.rowCount(), 0);
        proxy.setSourceModel(loader.latencyPercentilesModel());
        QCOMPARE(proxy.sourceModel(), loader.latencyPercentilesModel());
        // No header change comes before the first rows: a bar mapper reads its bar set on one.
        QSignalSpy headers(&proxy, &QAbstractItemModel::headerDataChanged);
        QSignalSpy inserted(&proxy, &QAbstractItemModel::rowsInserted);
        load(loader);
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(headers.size(), 0);
        proxy.setSourceModel(nullptr);
        QCOMPARE(proxy.rowCount(), 0);
        QCOMPARE(proxy.columnCount(), 0);
    }

    void chartValues()
    {
        const QDateTime time = QDateTime::fromString(QStringLiteral("2025-10-18T10:05:00Z"), Qt::ISODate);
        QCOMPARE(ChartValueProxy::chartValue(time), QVariant(double(time.toMSecsSinceEpoch())));
        QVERIFY(!ChartValueProxy::chartValue(QDateTime()).isValid());
        QCOMPARE(ChartValueProxy::chartValue(qint64(12)), QVariant(qint64(12)));
        QCOMPARE(ChartValueProxy::chartValue(QStringLiteral("user")), QVariant(QStringLiteral("user")));
    }
};

QTEST_MAIN(TestChartValueProxy)
#include "tst_chartvalueproxy.moc"
