// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QAudioSink>
#include <QBuffer>
#include <QElapsedTimer>
#include <QHash>
#include <QMediaDevices>
#include <QPersistentModelIndex>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <QWidget>

#include <memory>
#include <optional>

class QAbstractItemModel;
class QStandardItemModel;

namespace Ui {
class SimulatorPage;
}

namespace voxtrack::protocol {
struct SessionEnded;
}

namespace voxtrack::client {
class VoiceClient;
}

namespace voxtrack::gui {

class BubbleDelegate;
class LoadPanel;

/// The Simulator tab: a chat-like voice client talking to a server's agent over protocol v1, one
/// session at a time, with each turn's latency on the agent's reply; beside it the load panel.
///
/// The client works in the GUI thread (it is asynchronous): startSession(), sendText() and
/// endSession() return at once and the chat model, the header and the signals follow as frames
/// arrive.
class SimulatorPage : public QWidget {
    Q_OBJECT

public:
    explicit SimulatorPage(QWidget* parent = nullptr);
    ~SimulatorPage() override;

    /// The server's conversation endpoint (ws://host:port/v1/conversation), also given to the load
    /// panel. Empty: no server, the session controls are disabled with a hint. A session in
    /// progress ends when the URL changes.
    void setServerUrl(const QUrl& conversationUrl);
    [[nodiscard]] QUrl serverUrl() const { return m_serverUrl; }
    /// The database the server writes to, for the load panel's verification (may be none).
    void setDatabase(const std::optional<voxtrack::DatabaseUrl>& url);
    [[nodiscard]] LoadPanel* loadPanel() const { return m_loadPanel; }

    /// Opens a session as the user in the user field. Does nothing while one is open.
    void startSession();
    /// Says text in the open session; without one, tells why through statusMessage().
    void sendText(const QString& text);
    /// Ends the open session (session.end); a connection still being made is dropped.
    void endSession();

    /// The chat: the user's messages, the agent's replies, session lines and errors, with
    /// models::MessagesModel's roles and BubbleDelegate's (one column).
    [[nodiscard]] QAbstractItemModel* chatModel() const;
    /// The session being held or last held (empty before the first).
    [[nodiscard]] QString sessionId() const { return m_sessionId; }
    [[nodiscard]] bool isSessionOpen() const { return m_state == State::Open; }

Q_SIGNALS:
    void sessionStarted(const QString& sessionId);
    void sessionEnded(const QString& sessionId);
    void statusMessage(const QString& message);

private:
    enum class State { Idle, Connecting, Open, Ending };

    void sendFromField();
    void playAloud(const QByteArray& pcm);
    void updateAloud();
    void onStarted(const QString& sessionId);
    void onReplied(const QString& replyTo, const QString& content);
    void onPersisted(const QString& id);
    void onEnded(const protocol::SessionEnded& ended);
    void onFailed(const Error& error);
    void onClosed();
    /// A row of the chat; role is a voxtrack::Role, or -1 with error set for an error report.
    QPersistentModelIndex addBubble(int role, const QString& text, bool error = false);
    [[nodiscard]] QString turnDetail(const QString& id) const;
    void setState(State state);
    void updateHeader();

    std::unique_ptr<Ui::SimulatorPage> ui;
    QStandardItemModel* m_chat;
    BubbleDelegate* m_delegate;
    LoadPanel* m_loadPanel;
    QPointer<client::VoiceClient> m_client;
    QUrl m_serverUrl;
    State m_state = State::Idle;
    QString m_sessionId;
    bool m_endAnnounced = false; ///< sessionEnded() was emitted for m_sessionId
    int m_turns = 0;
    QElapsedTimer m_sessionClock;
    qint64 m_sessionMs = 0; ///< the session's length once it ended
    QTimer m_headerClock;
    /// Plays spoken utterances on this computer ("Aloud").
    QBuffer m_aloudBuffer; ///< before the sink that reads it, so it outlives the sink
    std::unique_ptr<QAudioSink> m_sink;
    QMediaDevices m_devices;
    QHash<QString, QPersistentModelIndex> m_replies; ///< the agent's reply to each message sent, by frame id
};

} // namespace voxtrack::gui
