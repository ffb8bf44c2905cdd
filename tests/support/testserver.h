// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "server/agent.h"
#include "server/conversationserver.h"
#include "tracker/conversationtracker.h"

#include <QTemporaryDir>

#include <memory>

namespace voxtrack::test {

/// An in-process voxtrackd: a ConversationTracker with its journal in a temporary directory and
/// a ConversationServer on a free loopback port, serving one database. Its listener lives in
/// the creating thread, which must keep its event loop running (QTRY_*, QSignalSpy::wait) while
/// clients connect.
class TestServer {
public:
    struct Options {
        server::ServerOptions::Faults faults;
        QByteArray tokenSecret; ///< empty: --no-auth
        int workerThreads = 1;
        std::shared_ptr<const server::Agent> agent; ///< null: instantRules()
    };

    /// Starts one, or returns why it could not.
    [[nodiscard]] static Expected<std::unique_ptr<TestServer>> start(const DatabaseUrl& database, Options options);
    [[nodiscard]] static Expected<std::unique_ptr<TestServer>> start(const DatabaseUrl& database)
    {
        return start(database, Options {});
    }
    /// Shuts the server down and stops the tracker (everything accepted is written).
    ~TestServer();

    /// The built-in agent rules with every delay set to 0: replies as fast as the server goes.
    [[nodiscard]] static std::shared_ptr<const server::Agent> instantRules();

    [[nodiscard]] QUrl url() const { return m_server->conversationUrl(); }
    [[nodiscard]] server::ConversationServer& server() { return *m_server; }
    [[nodiscard]] tracker::ConversationTracker& tracker() { return *m_tracker; }
    /// Waits until everything the tracker accepted so far is in the database.
    [[nodiscard]] bool waitForPersisted(int timeoutMs = 10000);

private:
    TestServer() = default;

    QTemporaryDir m_journal;
    std::unique_ptr<tracker::ConversationTracker> m_tracker;
    std::unique_ptr<server::ConversationServer> m_server;
};

} // namespace voxtrack::test
