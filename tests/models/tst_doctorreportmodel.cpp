// SPDX-License-Identifier: MIT
#include "models/doctorreportmodel.h"
#include "models/doctorrunner.h"
#include "store/doctor.h"
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::store;
using voxtrack::models::DoctorReportModel;
using voxtrack::models::DoctorRunner;
using voxtrack::test::TestDatabase;

namespace {

/// A migrated database with one finding of each kind: an orphan message (error), a session
/// never ended (warning), a missing tracking column (note) that leaves the message-count check
/// not checked; everything else passes.
QStringList seed(bool postgres)
{
    const QString now = postgres ? QStringLiteral("now()") : QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    const QString twoDaysAgo = postgres ? QStringLiteral("now() - interval '2 days'")
                                        : QStringLiteral("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days')");
    const QString yes = postgres ? QStringLiteral("true") : QStringLiteral("1");
    const QString no = postgres ? QStringLiteral("false") : QStringLiteral("0");
    return {
        QStringLiteral(
            "INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, session_end, "
            "ended_at, duration_seconds, is_active, message_count, end_reason) VALUES ('good-1', 'user-1', "
            "'2025-10-18T09:30:00.000Z', '2025-10-18T09:30:00.000Z', '2025-10-18T09:30:45.200Z', "
            "'2025-10-18T09:30:45.200Z', 45.2, %1, 1, 'client_closed')")
            .arg(no),
        QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at, message_id, "
                       "seq) VALUES ('good-1', 'user-1', 'user', 'Hello', '2025-10-18T09:30:05.000Z', "
                       "'00000000-0000-4000-8000-000000000001', 1)"),
        QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, is_active) "
                       "VALUES ('never-ended', 'user-3', %1, %1, %2)")
            .arg(twoDaysAgo, yes),
        postgres ? QStringLiteral("SET session_replication_role = replica") : QStringLiteral("PRAGMA foreign_keys=OFF"),
        QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at) "
                       "VALUES ('missing-session', 'user-1', 'user', 'lost', %1)")
            .arg(now),
        postgres ? QStringLiteral("SET session_replication_role = DEFAULT") : QStringLiteral("PRAGMA foreign_keys=ON"),
        QStringLiteral("ALTER TABLE conversation_sessions DROP COLUMN message_count"),
    };
}

int urgency(const QModelIndex& index)
{
    const auto status = CheckResult::Status(index.data(DoctorReportModel::StatusRole).toInt());
    if (status == CheckResult::Status::Passed)
        return 4;
    if (status == CheckResult::Status::NotChecked)
        return 3;
    return index.data(DoctorReportModel::SeverityRole).toInt(); // Error 0, Warning 1, Info 2
}

} // namespace

class TestDoctorReportModel : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    DoctorReport m_report;

private Q_SLOTS:
    void initTestCase()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        {
            auto connection = m_database->connect();
            QVERIFY(connection);
            const auto migrated = Migrator(*connection).migrate();
            QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
            VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection, seed(connection->isPostgreSql())));
        }
        auto readOnly = Connection::open(m_database->url(), Connection::Access::ReadOnly);
        QVERIFY2(readOnly.hasValue(), qPrintable(readOnly.errorText()));
        auto report = Doctor(**readOnly).run();
        QVERIFY2(report.hasValue(), qPrintable(report.errorText()));
        m_report = *report;
        QCOMPARE(m_report.failedIds(),
            QStringList({QStringLiteral("schema.tracking_columns_missing"), QStringLiteral("data.orphan_messages"),
                QStringLiteral("data.stale_active")}));
        QCOMPARE(m_report.notChecked(), 1);
    }

    void cleanupTestCase() { m_database.reset(); }

    void emptyModel()
    {
        DoctorReportModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.columnCount(), int(DoctorReportModel::ColumnCount));
        QVERIFY(!model.hasReport());
        QCOMPARE(model.headerData(DoctorReportModel::CheckColumn, Qt::Horizontal).toString(), QStringLiteral("Check"));
    }

    void rowsAreOrderedByUrgency()
    {
        DoctorReportModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReport(m_report);
        QCOMPARE(model.rowCount(), m_report.checks.size());

        const auto idAt = [&](int row) { return model.index(row, DoctorReportModel::CheckColumn).data().toString(); };
        QCOMPARE(idAt(0), QStringLiteral("data.orphan_messages"));
        QCOMPARE(idAt(1), QStringLiteral("data.stale_active"));
        QCOMPARE(idAt(2), QStringLiteral("schema.tracking_columns_missing"));
        QCOMPARE(idAt(3), QStringLiteral("data.message_count_mismatch"));
        for (int row = 4; row < model.rowCount(); ++row)
            QCOMPARE(CheckResult::Status(model.index(row, 0).data(DoctorReportModel::StatusRole).toInt()),
                CheckResult::Status::Passed);
        for (int row = 1; row < model.rowCount(); ++row)
            QVERIFY2(urgency(model.index(row - 1, 0)) <= urgency(model.index(row, 0)), qPrintable(idAt(row)));

        // Within a group, the doctor's own order is kept.
        QStringList passedInReportOrder;
        for (const CheckResult& check : m_report.checks) {
            if (check.status == CheckResult::Status::Passed)
                passedInReportOrder << check.id;
        }
        QStringList passedInModelOrder;
        for (int row = 4; row < model.rowCount(); ++row)
            passedInModelOrder << idAt(row);
        QCOMPARE(passedInModelOrder, passedInReportOrder);
        QCOMPARE(model.rowOf(u"data.stale_active"), 1);
        QCOMPARE(model.rowOf(u"no.such_check"), -1);
    }

    void columnsShowTheCheck()
    {
        DoctorReportModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setReport(m_report);
        const CheckResult* orphan = m_report.check(u"data.orphan_messages");
        QVERIFY(orphan);
        const auto cell
            = [&](int row, int column, int role = Qt::DisplayRole) { return model.index(row, column).data(role); };

        QCOMPARE(cell(0, DoctorReportModel::SeverityColumn).toString(), QStringLiteral("Error"));
        QCOMPARE(cell(0, DoctorReportModel::CheckColumn).toString(), QStringLiteral("data.orphan_messages"));
        QCOMPARE(cell(0, DoctorReportModel::CountColumn).toLongLong(), 1);
        QCOMPARE(cell(0, DoctorReportModel::FindingColumn).toString(), orphan->title);
        QCOMPARE(cell(0, DoctorReportModel::SamplesColumn).toString(), orphan->samples.join(QStringLiteral(", ")));
        QVERIFY(cell(0, DoctorReportModel::SamplesColumn).toString().contains(u"missing-session"));
        QCOMPARE(cell(0, DoctorReportModel::HintColumn).toString(), orphan->hint);
        QCOMPARE(cell(0, DoctorReportModel::CountColumn, Qt::TextAlignmentRole).value<Qt::Alignment>(),
            Qt::AlignRight | Qt::AlignVCenter);

        QCOMPARE(cell(0, 0, DoctorReportModel::SeverityRole).toInt(), int(Severity::Error));
        QCOMPARE(cell(0, 0, DoctorReportModel::StatusRole).toInt(), int(CheckResult::Status::Failed));
        const auto whole
            = cell(0, DoctorReportModel::HintColumn, DoctorReportModel::CheckResultRole).value<CheckResult>();
        QCOMPARE(whole.id, orphan->id);
        QCOMPARE(whole.count, 1);
        QCOMPARE(whole.samples, orphan->samples);

        QCOMPARE(cell(1, DoctorReportModel::SeverityColumn).toString(), QStringLiteral("Warning"));
        QCOMPARE(cell(1, DoctorReportModel::CountColumn).toLongLong(), 1);
        QVERIFY(cell(1, DoctorReportModel::SamplesColumn).toString().contains(u"never-ended"));

        QCOMPARE(cell(2, DoctorReportModel::SeverityColumn).toString(), QStringLiteral("Note"));
        QCOMPARE(cell(2, DoctorReportModel::SamplesColumn).toString(),
            QStringLiteral("conversation_sessions.message_count"));

        // A check that could not run has no count, and says why instead of a hint.
        QCOMPARE(cell(3, DoctorReportModel::SeverityColumn).toString(), QStringLiteral("Not checked"));
        QVERIFY(!cell(3, DoctorReportModel::CountColumn).isValid());
        QVERIFY2(cell(3, DoctorReportModel::HintColumn).toString().contains(u"conversation_sessions.message_count"),
            qPrintable(cell(3, DoctorReportModel::HintColumn).toString()));
        QCOMPARE(cell(3, 0, DoctorReportModel::StatusRole).toInt(), int(CheckResult::Status::NotChecked));

        QCOMPARE(cell(4, DoctorReportModel::SeverityColumn).toString(), QStringLiteral("Passed"));
        QCOMPARE(cell(4, DoctorReportModel::CountColumn).toLongLong(), 0);
        QCOMPARE(cell(4, DoctorReportModel::SamplesColumn).toString(), QString());
    }

    void setReportAndClearReset()
    {
        DoctorReportModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(&model, &DoctorReportModel::modelReset);
        model.setReport(m_report);
        QCOMPARE(reset.count(), 1);
        QVERIFY(model.hasReport());
        QCOMPARE(model.report().database, m_report.database);
        model.setReport(m_report);
        QCOMPARE(reset.count(), 2);
        QCOMPARE(model.rowCount(), m_report.checks.size());
        model.clear();
        QCOMPARE(reset.count(), 3);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.hasReport());
    }

    void runnerFinishesForAGoodUrl()
    {
        DoctorRunner runner;
        QSignalSpy finished(&runner, &DoctorRunner::finished);
        QSignalSpy failed(&runner, &DoctorRunner::failed);
        runner.run(m_database->url().toString());
        QVERIFY(runner.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!runner.isRunning());
        const auto report = finished.constFirst().constFirst().value<DoctorReport>();
        QCOMPARE(report.failedIds(), m_report.failedIds());
        QCOMPARE(report.database, m_database->url().toDisplayString());

        DoctorReportModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        connect(&runner, &DoctorRunner::finished, &model, &DoctorReportModel::setReport);
        runner.run(m_database->url().toString());
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), m_report.checks.size(), 30000);
        QCOMPARE(
            model.index(0, DoctorReportModel::CheckColumn).data().toString(), QStringLiteral("data.orphan_messages"));
    }

    void runnerFails_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("code");
        QTest::addRow("unknown scheme") << QStringLiteral("mysql://x") << QStringLiteral("url.scheme");
        QTest::addRow("empty") << QString() << QStringLiteral("url.empty");
        QTest::addRow("missing SQLite file (read-only open does not create it)")
            << QStringLiteral("sqlite:///nonexistent-voxtrack-dir/none.db") << QStringLiteral("db.not_found");
    }

    void runnerFails()
    {
        QFETCH(QString, url);
        QFETCH(QString, code);
        DoctorRunner runner;
        QSignalSpy finished(&runner, &DoctorRunner::finished);
        QSignalSpy failed(&runner, &DoctorRunner::failed);
        runner.run(url);
        // Even a URL that does not parse is answered asynchronously.
        QCOMPARE(failed.count(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QCOMPARE(finished.count(), 0);
        const auto error = failed.constFirst().constFirst().value<Error>();
        QCOMPARE(error.code, code);
        QVERIFY(!error.message.isEmpty());
    }

    void runnerDropsASupersededRun()
    {
        DoctorRunner runner;
        QSignalSpy finished(&runner, &DoctorRunner::finished);
        QSignalSpy failed(&runner, &DoctorRunner::failed);
        runner.run(m_database->url().toString());
        runner.run(QStringLiteral("mysql://x"));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        // Give the first run every chance to (wrongly) report.
        QTest::qWait(500);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(failed.constFirst().constFirst().value<Error>().code, QStringLiteral("url.scheme"));

        runner.run(m_database->url().toString());
        runner.cancel();
        QVERIFY(!runner.isRunning());
        QTest::qWait(500);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(failed.count(), 1);
    }

    void destroyingARunningRunnerIsSafe()
    {
        auto runner = std::make_unique<DoctorRunner>();
        QSignalSpy finished(runner.get(), &DoctorRunner::finished);
        runner->run(m_database->url().toString());
        runner.reset();
        QTest::qWait(100);
        QCOMPARE(finished.count(), 0);
    }
};

QTEST_GUILESS_MAIN(TestDoctorReportModel)
#include "tst_doctorreportmodel.moc"
