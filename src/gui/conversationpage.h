// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "store/queries.h"

#include <QPersistentModelIndex>
#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QAction;
class QJsonValue;
class QTreeWidgetItem;

namespace Ui {
class ConversationPage;
}

namespace voxtrack::store {
class ChangeFeed;
}

namespace voxtrack::models {
class DatabaseThread;
class MessagesModel;
} // namespace voxtrack::models

namespace voxtrack::gui {

class BubbleDelegate;
class CallPlayer;

/// The Conversation tab: one session's transcript as chat bubbles, its header (user, start and
/// end, duration, state, message count) and its metadata as a tree. With a change feed, new
/// messages appear as they are written and the header follows the session (its end arrives
/// live); the view stays at the bottom when it was there.
///
/// Messages with stored audio (audio_url) have a play control in their bubble; Space plays or
/// stops the selected one, "Play call" (Ctrl+P) plays every recording of the session in order,
/// selecting each message as it plays, and Stop (Esc) ends it. Failures are reported through
/// statusMessage().
class ConversationPage : public QWidget {
    Q_OBJECT

public:
    explicit ConversationPage(QWidget* parent = nullptr);
    ~ConversationPage() override;

    /// Shows sessions of the database at url (read on threads of the page's own). The page
    /// follows feed while it exists (it is not owned, and may be null: no live updates); a
    /// later call stops following the earlier feed.
    void setDatabase(const voxtrack::DatabaseUrl& url, store::ChangeFeed* feed);
    /// Shows this session ("" clears the page).
    void setSessionId(const QString& sessionId);
    [[nodiscard]] QString sessionId() const;
    [[nodiscard]] models::MessagesModel* model() const { return m_model; }
    /// The session row the header shows, once read.
    [[nodiscard]] const std::optional<store::SessionRow>& session() const { return m_session; }
    [[nodiscard]] BubbleDelegate* delegate() const { return m_delegate; }
    /// What plays the recordings (owned by the page; its output may be changed).
    [[nodiscard]] CallPlayer* player() const { return m_player; }

    /// Plays every message with audio, in the transcript's order.
    void playCall();
    /// Plays the recording of the message at index (of model()), or stops it when it is playing.
    void togglePlayback(const QModelIndex& index);
    void stopPlayback();

    /// The transcript (MessagesModel::transcript()) to the clipboard.
    void copyTranscript();
    /// The selected message's text to the clipboard.
    void copySelectedMessage();

Q_SIGNALS:
    void statusMessage(const QString& message);
    /// The header was read again (after a selection, or a change to the session).
    void sessionRefreshed();

protected:
    /// Leaving the page is a look taken: what arrived until then is no longer new.
    void hideEvent(QHideEvent* event) override;

private:
    void requestSession();
    void applySession(const QString& sessionId, const Expected<store::SessionRow>& row);
    void showHeader();
    void showMetadata(const QJsonObject& metadata);
    void addJson(QTreeWidgetItem* parent, const QString& key, const QJsonValue& value);
    void updateActions();
    void playRows(const QList<QPersistentModelIndex>& rows);
    void showPlaying(int queueIndex);
    void showProgress(qint64 position, qint64 duration);

    std::unique_ptr<Ui::ConversationPage> ui;
    models::MessagesModel* m_model;
    BubbleDelegate* m_delegate;
    CallPlayer* m_player;
    QAction* m_copyTextAction;
    QAction* m_copyMessageAction;
    QAction* m_playCallAction;
    QAction* m_stopAction;
    QAction* m_playMessageAction;
    QList<QPersistentModelIndex> m_playRows; ///< the messages of the player's queue
    QPersistentModelIndex m_playingRow;
    std::unique_ptr<models::DatabaseThread> m_thread; ///< reads the session row
    std::optional<DatabaseUrl> m_url;
    QPointer<store::ChangeFeed> m_feed;
    QString m_sessionId;
    std::optional<store::SessionRow> m_session;
    QString m_problem; ///< why the session row is not shown, once a read failed
    std::shared_ptr<std::atomic<int>> m_current; ///< the session request the page still wants
    int m_generation = 0;
    QTimer m_refreshDelay; ///< changes come in bursts: the header is read once per burst
    QTimer m_clock; ///< the duration of an active session counts up
    bool m_wasAtBottom = false;
};

} // namespace voxtrack::gui
