// SPDX-License-Identifier: MIT
#include "support/testserver.h"

#include "store/connection.h"
#include "store/migrator.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace voxtrack::test {

Expected<std::unique_ptr<TestServer>> TestServer::start(const DatabaseUrl& database, Options options)
{
    std::unique_ptr<TestServer> server(new TestServer);
    if (!server->m_journal.isValid())
        return Error {QStringLiteral("test.journal"), QStringLiteral("No temporary directory for the journal.")};
    // As voxtrackd does: the schema is in place before the first client comes.
    {
        auto connection = store::Connection::open(database);
        if (!connection)
            return connection.error();
        if (auto migrated = store::Migrator(**connection).migrate(); !migrated)
            return migrated.error();
    }
    tracker::TrackerOptions trackerOptions;
    trackerOptions.database = database;
    trackerOptions.journalDirectory = server->m_journal.path();
    server->m_tracker = std::make_unique<tracker::ConversationTracker>(trackerOptions);
    if (const Status started = server->m_tracker->start(); !started.isNull())
        return started;
    server::ServerOptions serverOptions;
    serverOptions.port = 0;
    serverOptions.noAuth = options.tokenSecret.isEmpty();
    serverOptions.tokenSecret = options.tokenSecret;
    serverOptions.workerThreads = options.workerThreads;
    serverOptions.faults = options.faults;
    server->m_server = std::make_unique<server::ConversationServer>(
        serverOptions, server->m_tracker.get(), options.agent ? options.agent : instantRules());
    if (const Status listening = server->m_server->listen(); !listening.isNull())
        return listening;
    return server;
}

TestServer::~TestServer()
{
    if (m_server)
        m_server->shutdown(5000);
    if (m_tracker)
        m_tracker->stop(10000);
    m_server.reset();
    m_tracker.reset();
}

bool TestServer::waitForPersisted(int timeoutMs)
{
    return m_tracker->waitForPersisted(m_tracker->lastTicket(), timeoutMs);
}

std::shared_ptr<const server::Agent> TestServer::instantRules()
{
    QFile file(server::RulesAgent::defaultRulesPath.toString());
    if (!file.open(QIODevice::ReadOnly))
        qFatal("the built-in agent rules are missing");
    QJsonObject rules = QJsonDocument::fromJson(file.readAll()).object();
    rules.insert(QStringLiteral("default_delay_ms"), 0);
    QJsonArray list = rules.value(QStringLiteral("rules")).toArray();
    for (auto rule : list) {
        QJsonObject object = rule.toObject();
        object.insert(QStringLiteral("delay_ms"), 0);
        rule = object;
    }
    rules.insert(QStringLiteral("rules"), list);
    if (rules.contains(QStringLiteral("fallback"))) {
        QJsonObject fallback = rules.value(QStringLiteral("fallback")).toObject();
        fallback.insert(QStringLiteral("delay_ms"), 0);
        rules.insert(QStringLiteral("fallback"), fallback);
    }
    auto agent = server::RulesAgent::fromJson(QJsonDocument(rules).toJson());
    if (!agent)
        qFatal("the built-in agent rules do not load: %s", qPrintable(agent.errorText()));
    return std::shared_ptr<const server::Agent>(std::move(*agent));
}

} // namespace voxtrack::test
