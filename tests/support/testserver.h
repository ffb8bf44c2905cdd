// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "server/agent.h"
#include "server/embeddedserver.h"

#include <memory>

namespace voxtrack::test {

/// An in-process voxtrackd for tests (server::EmbeddedServer) whose agent answers at once
/// unless told otherwise. Its listener lives in the creating thread, which must keep its event
/// loop running (QTRY_*, QSignalSpy::wait) while clients connect.
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

    /// The built-in agent rules with every delay set to 0: replies as fast as the server goes.
    [[nodiscard]] static std::shared_ptr<const server::Agent> instantRules();

    [[nodiscard]] QUrl url() const { return m_embedded->url(); }
    /// Where the server stores utterances (a temporary directory).
    [[nodiscard]] QString audioDirectory() const { return m_embedded->audioDirectory(); }
    [[nodiscard]] server::ConversationServer& server() { return m_embedded->server(); }
    [[nodiscard]] tracker::ConversationTracker& tracker() { return m_embedded->tracker(); }
    /// Waits until everything the tracker accepted so far is in the database.
    [[nodiscard]] bool waitForPersisted(int timeoutMs = 10000) { return m_embedded->waitForPersisted(timeoutMs); }

private:
    explicit TestServer(std::unique_ptr<server::EmbeddedServer> embedded)
        : m_embedded(std::move(embedded))
    {
    }

    std::unique_ptr<server::EmbeddedServer> m_embedded;
};

} // namespace voxtrack::test
