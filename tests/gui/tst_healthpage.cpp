// SPDX-License-Identifier: MIT
#include "gui/healthpage.h"
#include "models/doctorreportmodel.h"
#include "store/migrator.h"
#include "support/testdatabase.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTextBrowser>
#include <QTreeView>

using namespace voxtrack;
using voxtrack::gui::HealthPage;
using voxtrack::models::DoctorReportModel;
using voxtrack::test::TestDatabase;

class TestHealthPage : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;

    template <typename T> static T* child(const HealthPage& page, const char* name)
    {
        auto* widget = page.findChild<T*>(QString::fromLatin1(name));
        if (!widget)
            QTest::qFail(name, __FILE__, __LINE__);
        return widget;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // A clean SQLite database with one message whose session does not exist.
        auto created = TestDatabase::create(store::Backend::Sqlite);
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        auto connection = m_database->connect();
        QVERIFY(connection);
        const auto migrated = store::Migrator(*connection).migrate();
        QVERIFY2(migrated.hasValue(), qPrintable(migrated.errorText()));
        VOXTRACK_VERIFY_OK(TestDatabase::execAll(*connection,
            {QStringLiteral("PRAGMA foreign_keys=OFF"),
                QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, created_at) "
                               "VALUES ('missing-session', 'user-1', 'user', 'lost', '2025-10-18T09:30:05.000Z')"),
                QStringLiteral("PRAGMA foreign_keys=ON")}));
    }

    void cleanupTestCase() { m_database.reset(); }

    void urlDefaultsToTheEnvironment()
    {
        qputenv("VOXTRACK_DB", "sqlite:///tmp/from-environment.db");
        HealthPage page;
        QCOMPARE(child<QLineEdit>(page, "urlEdit")->text(), QStringLiteral("sqlite:///tmp/from-environment.db"));
        qunsetenv("VOXTRACK_DB");
        QVERIFY(voxtrack::DatabaseUrl::defaultLocation().startsWith(u"sqlite:///"));
        QVERIFY(voxtrack::DatabaseUrl::defaultLocation().endsWith(u"/voxtrack.db"));
    }

    void runShowsTheFindings()
    {
        HealthPage page;
        page.resize(900, 600);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setDatabaseUrl(m_database->url().toString());
        QSignalSpy done(&page, &HealthPage::doctorFinished);

        QTest::mouseClick(child<QPushButton>(page, "runButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QCOMPARE(done.constFirst().constFirst().toBool(), true);

        auto* view = child<QTreeView>(page, "checksView");
        QAbstractItemModel* model = view->model();
        QVERIFY(model->rowCount() > 1);
        QCOMPARE(
            model->index(0, DoctorReportModel::CheckColumn).data().toString(), QStringLiteral("data.orphan_messages"));
        QCOMPARE(model->index(0, DoctorReportModel::CountColumn).data().toLongLong(), 1);
        QCOMPARE(model->index(1, DoctorReportModel::SeverityColumn).data().toString(), QStringLiteral("Passed"));

        const QString summary = child<QLabel>(page, "summaryLabel")->text();
        QCOMPARE(summary, QStringLiteral("1 error, 0 warnings, 0 notes, 0 not checked"));

        // The most urgent check is selected, and its samples and hint are shown.
        QCOMPARE(view->currentIndex().row(), 0);
        const QString details = child<QTextBrowser>(page, "detailsView")->toPlainText();
        QVERIFY2(details.contains(u"data.orphan_messages"), qPrintable(details));
        QVERIFY2(details.contains(u"missing-session"), qPrintable(details));
        QVERIFY2(
            details.contains(model->index(0, DoctorReportModel::HintColumn).data().toString()), qPrintable(details));

        // Selecting another check shows its details; a second run keeps it selected.
        view->setCurrentIndex(model->index(3, 0));
        const QString thirdId = model->index(3, DoctorReportModel::CheckColumn).data().toString();
        QVERIFY(child<QTextBrowser>(page, "detailsView")->toPlainText().contains(thirdId));
        QTest::keyClick(&page, Qt::Key_F5);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 30000);
        QCOMPARE(view->currentIndex().data(DoctorReportModel::CheckIdRole).toString(), thirdId);
    }

    void badUrlShowsTheErrorSentence()
    {
        HealthPage page;
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QSignalSpy done(&page, &HealthPage::doctorFinished);

        page.setDatabaseUrl(m_database->url().toString());
        page.runDoctor();
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QVERIFY(page.model()->rowCount() > 0);

        child<QLineEdit>(page, "urlEdit")->setText(QStringLiteral("mysql://x"));
        QTest::keyClick(child<QLineEdit>(page, "urlEdit"), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 30000);
        QCOMPARE(done.at(1).constFirst().toBool(), false);

        auto* summary = child<QLabel>(page, "summaryLabel");
        auto parsed = DatabaseUrl::parse(QStringLiteral("mysql://x"));
        QVERIFY(!parsed);
        QCOMPARE(summary->text(), parsed.error().message);
        QCOMPARE(summary->toolTip(), QStringLiteral("url.scheme"));
        // Red, and the findings of the previous database are gone.
        const QColor text = summary->palette().color(QPalette::WindowText);
        QVERIFY2(text.red() > 2 * text.green() && text.red() > 2 * text.blue(), qPrintable(text.name()));
        QCOMPARE(page.model()->rowCount(), 0);
        QVERIFY(child<QTextBrowser>(page, "detailsView")->toPlainText().isEmpty());
    }

    void aFindingOpensTheSessionItNames()
    {
        HealthPage page;
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QSignalSpy done(&page, &HealthPage::doctorFinished);
        page.setDatabase(m_database->url());
        QVERIFY(!child<QLineEdit>(page, "urlEdit")->isVisible()); // a URL may hold a password
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);

        auto* view = child<QTreeView>(page, "checksView");
        QModelIndex orphans;
        for (int row = 0; row < page.model()->rowCount(); ++row) {
            const QModelIndex index = page.model()->index(row, 0);
            if (index.data(DoctorReportModel::CheckIdRole).toString() == u"data.orphan_messages")
                orphans = index;
        }
        QVERIFY(orphans.isValid());
        view->setCurrentIndex(orphans);
        QVERIFY(child<QTextBrowser>(page, "detailsView")->toHtml().contains(QStringLiteral("session:missing-session")));
        QSignalSpy requested(&page, &HealthPage::sessionRequested);
        Q_EMIT view->activated(orphans);
        QCOMPARE(requested.size(), 1);
        QCOMPARE(requested.constFirst().constFirst().toString(), QStringLiteral("missing-session"));
    }

    void samplesNameTheirSessions_data()
    {
        QTest::addColumn<QString>("check");
        QTest::addColumn<QString>("sample");
        QTest::addColumn<QString>("session");
        QTest::addRow("role") << "data.role_invalid"
                              << "17 (assistant, session 5f0c-1)"
                              << "5f0c-1";
        QTest::addRow("role, no session") << "data.role_invalid"
                                          << "17 (assistant, session NULL)"
                                          << "";
        QTest::addRow("orphan") << "data.orphan_messages"
                                << "9 (session gone-1)"
                                << "gone-1";
        QTest::addRow("session check") << "data.stale_active"
                                       << "s-42"
                                       << "s-42";
        QTest::addRow("session with detail") << "data.duration_mismatch"
                                             << "s-7 (12 s stored)"
                                             << "s-7";
        QTest::addRow("duplicate") << "data.duplicate_session_id"
                                   << "s-1 (x2)"
                                   << "s-1";
        QTest::addRow("schema") << "schema.missing_columns"
                                << "conversation_messages.audio_url"
                                << "";
        QTest::addRow("null id") << "data.null_session_id"
                                 << "conversation_messages 4"
                                 << "";
    }

    void samplesNameTheirSessions()
    {
        QFETCH(QString, check);
        QFETCH(QString, sample);
        QFETCH(QString, session);
        QCOMPARE(HealthPage::sessionOfSample(check, sample), session);
    }
};

QTEST_MAIN(TestHealthPage)
#include "tst_healthpage.moc"
