// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"
#include "server/conversationserver.h"

#include <QTemporaryDir>

#include <memory>

namespace voxtrack::tracker {
class ConversationTracker;
}

namespace voxtrack::server {

class Agent;

/// voxtrackd inside another program: the database migrated, a ConversationTracker with its
/// journal, and a ConversationServer on loopback. The app's demo and the tests run one.
/// The listener lives in the creating thread, which must run an event loop while clients connect.
class EmbeddedServer {
public:
    struct Options {
        DatabaseUrl database;
        /// Where the tracker journals; empty: a temporary directory removed with the server.
        QString journalDirectory;
        /// Where utterances are stored; empty: a temporary directory removed with the server;
        /// "none": audio is refused (audio.disabled). Overrides server.audioDirectory.
        QString audioDirectory;
        /// Port 0 (a free one) and identity from ?user_id= unless set otherwise.
        ServerOptions server = defaultServerOptions();
        /// Null: the built-in rules, with their human-like delays.
        std::shared_ptr<const Agent> agent;

        [[nodiscard]] static ServerOptions defaultServerOptions();
    };

    /// Starts one, or returns why it could not (a database that cannot be opened or migrated,
    /// a journal directory that cannot be written, a port in use).
    [[nodiscard]] static Expected<std::unique_ptr<EmbeddedServer>> start(Options options);

    /// Shuts the server down and stops the tracker: everything accepted is written first.
    ~EmbeddedServer();

    EmbeddedServer(const EmbeddedServer&) = delete;
    EmbeddedServer& operator=(const EmbeddedServer&) = delete;

    /// ws://127.0.0.1:port/v1/conversation
    [[nodiscard]] QUrl url() const { return m_server->conversationUrl(); }
    [[nodiscard]] const DatabaseUrl& database() const { return m_database; }
    [[nodiscard]] ConversationServer& server() { return *m_server; }
    [[nodiscard]] tracker::ConversationTracker& tracker() { return *m_tracker; }
    /// The directory of stored utterances; empty when audio is refused.
    [[nodiscard]] QString audioDirectory() const
    {
        return m_server->audioStore() ? m_server->audioStore()->directory() : QString();
    }
    /// Waits until everything the tracker accepted so far is in the database.
    [[nodiscard]] bool waitForPersisted(int timeoutMs = 10000);

private:
    EmbeddedServer() = default;

    DatabaseUrl m_database;
    std::unique_ptr<QTemporaryDir> m_temporaryJournal;
    std::unique_ptr<QTemporaryDir> m_temporaryAudio;
    std::unique_ptr<tracker::ConversationTracker> m_tracker;
    std::unique_ptr<ConversationServer> m_server;
};

} // namespace voxtrack::server
