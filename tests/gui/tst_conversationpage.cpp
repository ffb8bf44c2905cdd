// SPDX-License-Identifier: MIT
#include "wavserver.h"

#include "core/role.h"
#include "gui/bubbledelegate.h"
#include "gui/callplayer.h"
#include "gui/conversationpage.h"
#include "gui/severitystyle.h"
#include "models/messagesmodel.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QAudioDevice>
#include <QClipboard>
#include <QHelpEvent>
#include <QLabel>
#include <QListView>
#include <QLoggingCategory>
#include <QMediaDevices>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTest>
#include <QToolButton>
#include <QToolTip>
#include <QTreeWidget>

using namespace voxtrack;
using voxtrack::gui::BubbleDelegate;
using voxtrack::gui::CallPlayer;
using voxtrack::gui::ConversationPage;
using voxtrack::models::MessagesModel;
using voxtrack::test::TestDatabase;
using voxtrack::test::WavServer;

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

    void addAudioMessage(const QString& sid, int seq, const QString& role, const QString& content, const QUrl& audio)
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, role, content, audio_url, seq, "
                           "created_at) VALUES (?, 'caller-42', ?, ?, ?, ?, %1)")
                .arg(at(QStringLiteral("2026-01-02 09:00:%1").arg(seq, 2, 10, QChar(u'0')))),
            {sid, role, content, audio.toString(), seq}));
    }

    /// A session of a call with recordings: the system prompt and one user turn have none; the
    /// last agent turn's recording is gone from the server.
    void addCall(const WavServer& server)
    {
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active) VALUES ('call-1', "
                           "'caller-42', %1)")
                .arg(boolean(false))));
        addMessage(QStringLiteral("call-1"), 1, QStringLiteral("system"), QStringLiteral("You are a voice assistant."),
            QStringLiteral("2026-01-02 09:00:01"));
        addAudioMessage(QStringLiteral("call-1"), 2, QStringLiteral("user"), QStringLiteral("Hello, who is there?"),
            server.url(QStringLiteral("/audio/2.wav")));
        addAudioMessage(QStringLiteral("call-1"), 3, QStringLiteral("agent"),
            QStringLiteral("Hi! I am the voice assistant. How can I help you today?"),
            server.url(QStringLiteral("/audio/3.wav")));
        addMessage(QStringLiteral("call-1"), 4, QStringLiteral("user"), QStringLiteral("(typed) What's the weather?"),
            QStringLiteral("2026-01-02 09:00:04"));
        addAudioMessage(QStringLiteral("call-1"), 5, QStringLiteral("agent"), QStringLiteral("Sunny, 21 degrees."),
            server.url(QStringLiteral("/audio/5.wav")));
        addAudioMessage(QStringLiteral("call-1"), 6, QStringLiteral("agent"), QStringLiteral("Anything else?"),
            server.url(QStringLiteral("/audio/gone.wav")));
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

    void playsTheRecordingOfAMessage()
    {
        WavServer server;
        QVERIFY(server.isListening());
        for (const char* name : {"/audio/2.wav", "/audio/3.wav", "/audio/5.wav"})
            server.putRecording(QString::fromLatin1(name), 1.0);
        addCall(server);

        ConversationPage page;
        QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.player()->setOutput(CallPlayer::Output::Driven);
        page.resize(1100, 700);
        page.show();
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        page.setDatabase(m_database->url(), nullptr);
        page.setSessionId(QStringLiteral("call-1"));
        auto* view = child<QListView>(page, "transcript");
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 6, waitMs);
        BubbleDelegate* delegate = page.delegate();
        CallPlayer* player = page.player();
        const auto index = [&](int row) { return view->model()->index(row, view->modelColumn()); };
        const auto url = [&](int row) { return QUrl(index(row).data(MessagesModel::AudioUrlRole).toString()); };

        // A play control only in the bubbles of messages with audio, inside the row, at the
        // start of the bubble: on the right for the user, on the left for the agent.
        const QList<bool> audio {false, true, true, false, true, true};
        for (int row = 0; row < 6; ++row) {
            QCOMPARE(BubbleDelegate::hasAudio(index(row)), audio.at(row));
            const QRect button = delegate->playButtonRect(view, index(row));
            QCOMPARE(!button.isEmpty(), audio.at(row));
            if (audio.at(row)) {
                QVERIFY(view->visualRect(index(row)).contains(button));
                QCOMPARE(button.size(), QSize(22, 22));
            }
        }
        const int width = view->viewport()->width();
        QVERIFY(delegate->playButtonRect(view, index(1)).left() > width / 4); // the user's, on the right
        QVERIFY(delegate->playButtonRect(view, index(2)).left() < 60); // the agent's, on the left
        QVERIFY(delegate->isPlaybackEnabled());

        // Clicking the control plays that message's recording, and only it.
        QSignalSpy started(player, &CallPlayer::started);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, delegate->playButtonRect(view, index(2)).center());
        QCOMPARE(player->queue(), QList<QUrl> {url(2)});
        QCOMPARE(player->currentUrl(), url(2));
        QCOMPARE(delegate->playingIndex(), index(2));
        QCOMPARE(view->currentIndex(), index(2));
        QVERIFY(started.wait(waitMs));
        QCOMPARE(player->duration(), 1000);
        player->setPosition(250);
        QCOMPARE(delegate->playingProgress(), 0.25);
        QVERIFY(child<QToolButton>(page, "stopButton")->isEnabled());

        // Clicking it again stops it; clicking the text of a bubble plays nothing.
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, delegate->playButtonRect(view, index(2)).center());
        QVERIFY(!player->isActive());
        QVERIFY(!delegate->playingIndex().isValid());
        QVERIFY(!child<QToolButton>(page, "stopButton")->isEnabled());
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(index(0)).center());
        QCOMPARE(view->currentIndex(), index(0));
        QVERIFY(!player->isActive());

        // Space plays the selected message, and stops it again.
        view->setFocus();
        view->setCurrentIndex(index(1));
        QTest::keyClick(view, Qt::Key_Space);
        QCOMPARE(player->currentUrl(), url(1));
        QCOMPARE(delegate->playingIndex(), index(1));
        QTest::keyClick(view, Qt::Key_Space);
        QVERIFY(!player->isActive());
        // On a message without audio it does nothing.
        view->setCurrentIndex(index(3));
        QTest::keyClick(view, Qt::Key_Space);
        QVERIFY(!player->isActive());

        // A recording that is not on the server: the status says so, in one sentence.
        QSignalSpy status(&page, &ConversationPage::statusMessage);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, delegate->playButtonRect(view, index(5)).center());
        QVERIFY(status.wait(waitMs));
        QCOMPARE(status.constLast().constFirst().toString(),
            QStringLiteral("There is no recording at %1 (HTTP 404): check that the app is connected to the server "
                           "that recorded this call.")
                .arg(url(5).toDisplayString()));
        QVERIFY(!player->isActive());
        QVERIFY(!delegate->playingIndex().isValid());
    }

    void playsTheWholeCallInOrder()
    {
        WavServer server;
        QVERIFY(server.isListening());
        for (const char* name : {"/audio/2.wav", "/audio/3.wav", "/audio/5.wav"})
            server.putRecording(QString::fromLatin1(name), 0.5);
        addCall(server);

        ConversationPage page;
        page.player()->setOutput(CallPlayer::Output::Driven);
        page.resize(1100, 300); // short: the call has to scroll to follow the playing message
        page.show();
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        page.setDatabase(m_database->url(), nullptr);

        // A conversation without recordings has nothing to play.
        page.setSessionId(QStringLiteral("conv-1"));
        auto* view = child<QListView>(page, "transcript");
        auto* playCall = child<QToolButton>(page, "playCallButton");
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 3, waitMs);
        QVERIFY(!playCall->isEnabled());
        QCOMPARE(playCall->toolTip(), QStringLiteral("This conversation has no recorded audio."));

        page.setSessionId(QStringLiteral("call-1"));
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 6, waitMs);
        QTRY_VERIFY(playCall->isEnabled());
        QCOMPARE(playCall->text(), QStringLiteral("Play call"));
        QVERIFY(playCall->toolTip().startsWith(QStringLiteral("Play every recorded message of the call in order")));
        BubbleDelegate* delegate = page.delegate();
        CallPlayer* player = page.player();
        const auto index = [&](int row) { return view->model()->index(row, view->modelColumn()); };
        const auto url = [&](int row) { return QUrl(index(row).data(MessagesModel::AudioUrlRole).toString()); };
        view->scrollToTop();

        // Ctrl+P: the messages with audio, in the transcript's order; the first one is selected.
        QSignalSpy started(player, &CallPlayer::started);
        QTest::keyClick(&page, Qt::Key_P, Qt::ControlModifier);
        QCOMPARE(player->queue(), (QList<QUrl> {url(1), url(2), url(4), url(5)}));
        QCOMPARE(player->currentIndex(), 0);
        QCOMPARE(view->currentIndex(), index(1));
        QCOMPARE(delegate->playingIndex(), index(1));
        QVERIFY(started.wait(waitMs));

        // The end of each recording plays the next, which is selected and scrolled into view.
        player->finishCurrent();
        QCOMPARE(player->currentIndex(), 1);
        QCOMPARE(view->currentIndex(), index(2));
        QCOMPARE(delegate->playingIndex(), index(2));
        QVERIFY(started.wait(waitMs));
        player->finishCurrent();
        QCOMPARE(view->currentIndex(), index(4));
        QCOMPARE(delegate->playingIndex(), index(4));
        QVERIFY(view->viewport()->rect().contains(view->visualRect(index(4))));
        QVERIFY(started.wait(waitMs));
        player->setPosition(400);
        QCOMPARE(delegate->playingProgress(), 0.8);

        // Stop (Esc) ends the call where it is.
        QTest::keyClick(&page, Qt::Key_Escape);
        QVERIFY(!player->isActive());
        QVERIFY(!delegate->playingIndex().isValid());
        QCOMPARE(view->currentIndex(), index(4));

        // Played again, the last recording is missing: the call stops there and says why.
        QSignalSpy status(&page, &ConversationPage::statusMessage);
        page.playCall();
        for (int step = 0; step < 3; ++step) {
            QVERIFY(started.wait(waitMs));
            player->finishCurrent();
        }
        QCOMPARE(view->currentIndex(), index(5));
        QVERIFY(status.wait(waitMs));
        QVERIFY(status.constLast().constFirst().toString().startsWith(QStringLiteral("There is no recording at ")));
        QVERIFY(!player->isActive());

        // Another session: nothing of the call is left playing.
        page.playCall();
        QVERIFY(player->isActive());
        page.setSessionId(QStringLiteral("conv-1"));
        QVERIFY(!player->isActive());
        QVERIFY(!delegate->playingIndex().isValid());
    }

    void playbackNeedsAnAudioOutput()
    {
        WavServer server;
        addCall(server);
        ConversationPage page; // plays on the system's audio output, if there is one
        page.resize(1100, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setDatabase(m_database->url(), nullptr);
        page.setSessionId(QStringLiteral("call-1"));
        auto* view = child<QListView>(page, "transcript");
        QTRY_COMPARE_WITH_TIMEOUT(view->model()->rowCount(), 6, waitMs);
        auto* playCall = child<QToolButton>(page, "playCallButton");
        const bool devices = !QMediaDevices::audioOutputs().isEmpty();
        QCOMPARE(page.player()->isAvailable(), devices);
        QCOMPARE(playCall->isEnabled(), devices);
        QCOMPARE(page.delegate()->isPlaybackEnabled(), devices);
        if (!devices) {
            // Without a device the controls are off and say why; clicking plays nothing.
            const QString reason
                = QStringLiteral("There is no audio output device: connect speakers or headphones to play recordings.");
            QCOMPARE(playCall->toolTip(), reason);
            const QModelIndex agent = view->model()->index(2, view->modelColumn());
            const QPoint control = page.delegate()->playButtonRect(view, agent).center();
            QHelpEvent help(QEvent::ToolTip, control, view->viewport()->mapToGlobal(control));
            QApplication::sendEvent(view->viewport(), &help);
            QTRY_COMPARE(QToolTip::text(), reason);
            QTest::mouseClick(
                view->viewport(), Qt::LeftButton, {}, page.delegate()->playButtonRect(view, agent).center());
            QVERIFY(!page.player()->isActive());
            QCOMPARE(server.requests(), 0);
        }

        // A driven player is always there: the controls come back.
        page.player()->setOutput(CallPlayer::Output::Driven);
        QVERIFY(playCall->isEnabled());
        QVERIFY(page.delegate()->isPlaybackEnabled());
    }
};

QTEST_MAIN(TestConversationPage)
#include "tst_conversationpage.moc"
