// SPDX-License-Identifier: MIT
#include "core/role.h"
#include "gui/bubbledelegate.h"
#include "gui/conversationpage.h"
#include "gui/severitystyle.h"
#include "models/messagesmodel.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QClipboard>
#include <QLabel>
#include <QListView>
#include <QLoggingCategory>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTest>
#include <QTreeWidget>

using namespace voxtrack;
using voxtrack::gui::BubbleDelegate;
using voxtrack::gui::ConversationPage;
using voxtrack::models::MessagesModel;
using voxtrack::test::TestDatabase;

namespace {

constexpr int waitMs = 10'000;

} // namespace

class TestConversationPage : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<store::Connection> m_writer;

    bool postgres() const { return m_database->isPostgreSql(); }

    /// A timestamp literal for UTC text "2026-01-01 12:00:00".
    QString at(const QString& utc) const
    {
        return postgres() ? QStringLiteral("timestamptz '%1+00'").arg(utc)
                          : QStringLiteral("'%1Z'").arg(QString(utc).replace(u' ', u'T'));
    }

    QString boolean(bool value) const
    {
        return postgres() ? (value ? QStringLiteral("true") : QStringLiteral("false"))
                          : (value ? QStringLiteral("1") : QStringLiteral("0"));
    }

    void addMessage(const QString& sid, int seq, const QString& role, const QString& content, const QString& utc)
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, seq, created_at) "
                           "VALUES (?, 'caller-42', ?, ?, ?, %1)")
                .arg(at(utc)),
            {sid, role, content, seq}));
    }

    template <typename T> T* child(QWidget& page, const char* name)
    {
        return page.findChild<T*>(QString::fromLatin1(name));
    }

    QString text(QWidget& page, const char* label) { return child<QLabel>(page, label)->text(); }

private Q_SLOTS:
    void initTestCase() { QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false")); }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_writer = m_database->connectMigrated();
        QVERIFY(m_writer);
        // An ended session of three minutes and five seconds, with a metadata object to show.
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "session_end, ended_at, duration_seconds, is_active, metadata, message_count, end_reason) "
                           "VALUES ('conv-1', 'caller-42', %1, %1, %2, %2, 185, %3, "
                           "'{\"channel\": \"phone\", \"caller\": {\"name\": \"Ada\", \"vip\": true}, "
                           "\"tags\": [\"demo\", \"cars\"]}', 3, 'client_closed')")
                .arg(at(QStringLiteral("2026-01-01 12:00:00")), at(QStringLiteral("2026-01-01 12:03:05")),
                    boolean(false))));
        addMessage(QStringLiteral("conv-1"), 1, QStringLiteral("system"), QStringLiteral("You are a voice assistant."),
            QStringLiteral("2026-01-01 12:00:00"));
        addMessage(QStringLiteral("conv-1"), 2, QStringLiteral("user"), QStringLiteral("What's the price of Tesla?"),
            QStringLiteral("2026-01-01 12:00:04"));
        addMessage(QStringLiteral("conv-1"), 3, QStringLiteral("agent"),
            QStringLiteral("The latest price for Tesla is $251.30."), QStringLiteral("2026-01-01 12:00:05"));
    }

    void cleanup()
    {
        m_writer.reset();
        m_database.reset();
    }

    void showsTheTranscriptHeaderAndMetadata()
    {
        ConversationPage page;
        QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1100, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        auto* stack = child<QStackedWidget>(page, "stack");
        auto* view = child<QListView>(page, "transcript");
        QVERIFY(stack && view);

        // Nothing selected: the empty state says where to select.
        QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("emptyPage"));
        QCOMPARE(text(page, "emptyLabel"), QStringLiteral("Select a session on the Sessions tab."));

        QSignalSpy refreshed(&page, &ConversationPage::sessionRefreshed);
        page.setDatabase(m_database->url(), nullptr);
        page.setSessionId(QStringLiteral("conv-1"));
        QCOMPARE(page.sessionId(), QStringLiteral("conv-1"));
        QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("sessionPage"));
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 3, waitMs);
        QTRY_VERIFY_WITH_TIMEOUT(page.session().has_value(), waitMs);

        // The bubbles hold the messages, in order, with their roles.
        const QStringList contents {QStringLiteral("You are a voice assistant."),
            QStringLiteral("What's the price of Tesla?"), QStringLiteral("The latest price for Tesla is $251.30.")};
        const QList<Role> roles {Role::System, Role::User, Role::Agent};
        for (int row = 0; row < 3; ++row) {
            const QModelIndex index = view->model()->index(row, view->modelColumn());
            QCOMPARE(index.data(MessagesModel::ContentRole).toString(), contents.at(row));
            QCOMPARE(index.data(Qt::DisplayRole).toString(), contents.at(row));
            QCOMPARE(index.data(MessagesModel::RoleRole).toInt(), int(roles.at(row)));
            QVERIFY(view->visualRect(index).height() > 0);
        }

        // The header.
        QCOMPARE(text(page, "sessionIdLabel"), QStringLiteral("conv-1"));
        QCOMPARE(text(page, "userIdLabel"), QStringLiteral("caller-42"));
        QCOMPARE(text(page, "durationLabel"), QStringLiteral("3 min 05 s"));
        QCOMPARE(text(page, "stateLabel"), QStringLiteral("Ended: the client closed it"));
        QCOMPARE(text(page, "messageCountLabel"), QStringLiteral("3"));
        const QDateTime started(QDate(2026, 1, 1), QTime(12, 0), Qt::UTC);
        QCOMPARE(text(page, "startedLabel"), started.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));
        QCOMPARE(text(page, "endedLabel"),
            started.addSecs(185).toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")));

        // The metadata tree: the session's keys, objects and arrays expandable.
        auto* tree = child<QTreeWidget>(page, "metadataTree");
        QVERIFY(tree);
        QStringList keys;
        for (int i = 0; i < tree->topLevelItemCount(); ++i)
            keys << tree->topLevelItem(i)->text(0);
        keys.sort();
        QCOMPARE(keys, (QStringList {QStringLiteral("caller"), QStringLiteral("channel"), QStringLiteral("tags")}));
        const auto caller = tree->findItems(QStringLiteral("caller"), Qt::MatchExactly, 0);
        QCOMPARE(caller.size(), 1);
        QCOMPARE(caller.constFirst()->text(2), QStringLiteral("object"));
        QCOMPARE(caller.constFirst()->childCount(), 2);
        QVERIFY(caller.constFirst()->isExpanded());
        const auto name = tree->findItems(QStringLiteral("name"), Qt::MatchExactly | Qt::MatchRecursive, 0);
        QCOMPARE(name.size(), 1);
        QCOMPARE(name.constFirst()->text(1), QStringLiteral("Ada"));
        QCOMPARE(name.constFirst()->text(2), QStringLiteral("string"));
        const auto tags = tree->findItems(QStringLiteral("tags"), Qt::MatchExactly, 0);
        QCOMPARE(tags.constFirst()->text(2), QStringLiteral("array"));
        QCOMPARE(tags.constFirst()->child(1)->text(1), QStringLiteral("cars"));

        // A session that is not there says so; clearing the selection shows the empty state again.
        QSignalSpy status(&page, &ConversationPage::statusMessage);
        page.setSessionId(QStringLiteral("no-such-session"));
        QTRY_COMPARE_WITH_TIMEOUT(text(page, "stateLabel"), QStringLiteral("Not in this database"), waitMs);
        QVERIFY(!status.isEmpty());
        QVERIFY(status.constLast().constFirst().toString().contains(QStringLiteral("no-such-session")));
        page.setSessionId({});
        QCOMPARE(stack->currentWidget()->objectName(), QStringLiteral("emptyPage"));
        QCOMPARE(view->model()->rowCount(), 0);
    }

    void bubblesShowEachRoleInItsOwnWay()
    {
        ConversationPage page;
        page.resize(1100, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setDatabase(m_database->url(), nullptr);
        page.setSessionId(QStringLiteral("conv-1"));
        auto* view = child<QListView>(page, "transcript");
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 3, waitMs);
        BubbleDelegate* delegate = page.delegate();
        QCOMPARE(view->itemDelegate(), delegate);
        const QPalette palette = view->palette();

        // The three allowed roles: their own labels and colours, no complaint.
        const QStringList labels {QStringLiteral("System"), QStringLiteral("User"), QStringLiteral("Agent")};
        const QList<BubbleDelegate::Kind> kinds {
            BubbleDelegate::Kind::System, BubbleDelegate::Kind::User, BubbleDelegate::Kind::Agent};
        QSet<QRgb> colours;
        for (int row = 0; row < 3; ++row) {
            const QModelIndex index = view->model()->index(row, view->modelColumn());
            QCOMPARE(BubbleDelegate::kindOf(index), kinds.at(row));
            QCOMPARE(delegate->label(index), labels.at(row));
            QVERIFY(BubbleDelegate::roleProblem(index).isEmpty());
            colours.insert(BubbleDelegate::bubbleColor(kinds.at(row), palette).rgb());
            colours.insert(BubbleDelegate::labelColor(kinds.at(row), palette).rgb());
        }
        QCOMPARE(colours.size(), 6);

        // The user's bubble is on the right, the agent's on the left, the system's centred.
        // Where each bubble is: scan the middle of its row for the pixels of its fill.
        const QImage shot = view->viewport()->grab().toImage();
        const auto span = [&](int row) {
            const QRect rect = view->visualRect(view->model()->index(row, view->modelColumn()));
            const QColor fill = BubbleDelegate::bubbleColor(kinds.at(row), palette);
            const int y = rect.top() + rect.height() / 2;
            int first = -1;
            int last = -1;
            for (int x = rect.left(); x <= rect.right(); ++x) {
                const QColor pixel = shot.pixelColor(QPoint(x, y) * shot.devicePixelRatio());
                if (qAbs(pixel.red() - fill.red()) + qAbs(pixel.green() - fill.green())
                        + qAbs(pixel.blue() - fill.blue())
                    < 6) {
                    if (first < 0)
                        first = x;
                    last = x;
                }
            }
            return std::make_pair(first, last);
        };
        const int width = view->viewport()->width();
        const auto [userLeft, userRight] = span(1);
        QVERIFY(userLeft > width / 4 && userRight > width - 30); // the user's: right
        const auto [agentLeft, agentRight] = span(2);
        QVERIFY(agentLeft >= 0 && agentLeft < 30 && agentRight < width * 3 / 4); // the agent's: left
        const auto [systemLeft, systemRight] = span(0);
        QVERIFY(systemLeft > 30 && qAbs((systemLeft + systemRight) / 2 - width / 2) < 4); // the system's: centred

        // A role outside the set, as a buggy server stores it: the error colour, the role as
        // stored, and the tooltip saying what is wrong.
        QStandardItemModel bad;
        QAbstractItemModelTester tester(&bad, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto* item = new QStandardItem(QStringLiteral("Hello."));
        item->setData(-1, MessagesModel::RoleRole);
        item->setData(QStringLiteral("assistant"), MessagesModel::RoleNameRole);
        item->setData(QStringLiteral("Hello."), MessagesModel::ContentRole);
        bad.appendRow(item);
        const QModelIndex index = bad.index(0, 0);
        QCOMPARE(BubbleDelegate::kindOf(index), BubbleDelegate::Kind::InvalidRole);
        QCOMPARE(delegate->label(index), QStringLiteral("assistant"));
        QCOMPARE(BubbleDelegate::roleProblem(index),
            QStringLiteral("The database does not allow the role \"assistant\": the agent's role is \"agent\"."));
        QCOMPARE(BubbleDelegate::labelColor(BubbleDelegate::Kind::InvalidRole, palette),
            gui::severityColor(store::CheckResult::Status::Failed, store::Severity::Error, palette));
        QVERIFY(!colours.contains(BubbleDelegate::bubbleColor(BubbleDelegate::Kind::InvalidRole, palette).rgb()));
    }

    void sizeHintsFollowTheWidth()
    {
        QStandardItemModel chat;
        const QString longText = QStringLiteral("word ").repeated(120).trimmed();
        for (const QString& text : {QStringLiteral("Short."), longText}) {
            auto* item = new QStandardItem(text);
            item->setData(int(Role::Agent), MessagesModel::RoleRole);
            item->setData(text, MessagesModel::ContentRole);
            item->setData(QDateTime::currentDateTimeUtc(), MessagesModel::CreatedAtRole);
            chat.appendRow(item);
        }
        QListView view;
        BubbleDelegate delegate;
        view.setModel(&chat);
        view.setItemDelegate(&delegate);
        view.setWordWrap(true);
        view.setUniformItemSizes(false);
        view.setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
        view.resize(900, 600);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const auto height = [&](int row) { return view.visualRect(chat.index(row, 0)).height(); };
        QTRY_VERIFY(height(1) > 0);
        const int wideShort = height(0);
        const int wideLong = height(1);
        QVERIFY(wideLong > wideShort);
        view.resize(360, 600);
        QTRY_VERIFY(height(1) > wideLong * 2);
        QCOMPARE(height(0), wideShort);
        // Nothing wider than the view: no text is cut off at the side.
        QVERIFY(view.visualRect(chat.index(1, 0)).width() <= view.viewport()->width());
    }

    void copiesTheTranscriptAndAMessage()
    {
        ConversationPage page;
        page.resize(1100, 700);
        page.show();
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        page.setDatabase(m_database->url(), nullptr);
        page.setSessionId(QStringLiteral("conv-1"));
        auto* view = child<QListView>(page, "transcript");
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 3, waitMs);

        QGuiApplication::clipboard()->clear();
        QTest::keyClick(&page, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
        const QString transcript = QGuiApplication::clipboard()->text();
        QCOMPARE(transcript, page.model()->transcript());
        QCOMPARE(transcript.count(u'\n'), 3);
        QVERIFY(transcript.contains(QStringLiteral("user: What's the price of Tesla?")));
        QVERIFY(transcript.contains(QStringLiteral("agent: The latest price for Tesla is $251.30.")));

        // Copy message: the selected bubble's text.
        view->setFocus();
        view->setCurrentIndex(view->model()->index(2, view->modelColumn()));
        QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
        QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("The latest price for Tesla is $251.30."));
    }

    void followsTheSessionLive()
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active) VALUES ('conv-2', "
                           "'caller-7', %1)")
                .arg(boolean(true))));
        for (int seq = 1; seq <= 12; ++seq) {
            addMessage(QStringLiteral("conv-2"), seq, seq % 2 ? QStringLiteral("user") : QStringLiteral("agent"),
                QStringLiteral("Message number %1 of a conversation long enough to scroll.").arg(seq),
                QStringLiteral("2026-01-01 12:00:%1").arg(seq, 2, 10, QChar(u'0')));
        }

        store::ChangeFeed feed(m_database->url());
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(feed.state(), store::ChangeFeed::State::Live, waitMs);

        ConversationPage page;
        QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.resize(1100, 400);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setDatabase(m_database->url(), &feed);
        page.setSessionId(QStringLiteral("conv-2"));
        auto* view = child<QListView>(page, "transcript");
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 12, waitMs);
        QTRY_COMPARE_WITH_TIMEOUT(text(page, "stateLabel"), QStringLiteral("Active"), waitMs);
        QVERIFY(text(page, "durationLabel").endsWith(QStringLiteral("so far")));
        QCOMPARE(text(page, "endedLabel"), QStringLiteral("not yet"));

        // The reader is at the end: a new message written by another connection appears, marked
        // new, and the view follows it.
        view->scrollToBottom();
        QScrollBar* bar = view->verticalScrollBar();
        QVERIFY(bar->maximum() > 0);
        addMessage(QStringLiteral("conv-2"), 13, QStringLiteral("agent"), QStringLiteral("A reply written live."),
            QStringLiteral("2026-01-01 12:01:00"));
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 13, waitMs);
        const QModelIndex last = view->model()->index(12, view->modelColumn());
        QCOMPARE(last.data(MessagesModel::ContentRole).toString(), QStringLiteral("A reply written live."));
        QCOMPARE(last.data(MessagesModel::RoleRole).toInt(), int(Role::Agent));
        QVERIFY(last.data(MessagesModel::NewRole).toBool());
        QTRY_COMPARE(bar->value(), bar->maximum());
        QVERIFY(view->viewport()->rect().intersects(view->visualRect(last)));
        QTRY_COMPARE_WITH_TIMEOUT(text(page, "messageCountLabel"), QStringLiteral("13"), waitMs);

        // The reader scrolled up: the next message does not move the view.
        bar->setValue(0);
        addMessage(QStringLiteral("conv-2"), 14, QStringLiteral("user"), QStringLiteral("Thanks, bye."),
            QStringLiteral("2026-01-01 12:01:05"));
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 14, waitMs);
        QCOMPARE(bar->value(), 0);

        // The session ends: the header follows.
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("UPDATE conversation_sessions SET is_active = %1, ended_at = %2, session_end = %2, "
                           "duration_seconds = 65, end_reason = 'timeout' WHERE session_id = 'conv-2'")
                .arg(boolean(false), at(QStringLiteral("2026-01-01 12:01:05")))));
        QTRY_COMPARE_WITH_TIMEOUT(text(page, "stateLabel"), QStringLiteral("Ended: timed out"), waitMs);
        QCOMPARE(text(page, "durationLabel"), QStringLiteral("1 min 05 s"));
        QCOMPARE(text(page, "messageCountLabel"), QStringLiteral("14"));

        // Leaving the page is a look taken.
        page.hide();
        QVERIFY(!last.data(MessagesModel::NewRole).toBool());
    }
};

QTEST_MAIN(TestConversationPage)
#include "tst_conversationpage.moc"
