// SPDX-License-Identifier: MIT
#include "support/testserver.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace voxtrack::test {

Expected<std::unique_ptr<TestServer>> TestServer::start(const DatabaseUrl& database, Options options)
{
    server::EmbeddedServer::Options embedded;
    embedded.database = database;
    embedded.server.noAuth = options.tokenSecret.isEmpty();
    embedded.server.tokenSecret = options.tokenSecret;
    embedded.server.workerThreads = options.workerThreads;
    embedded.server.faults = options.faults;
    embedded.agent = options.agent ? options.agent : instantRules();
    auto started = server::EmbeddedServer::start(std::move(embedded));
    if (!started)
        return started.error();
    return std::unique_ptr<TestServer>(new TestServer(std::move(*started)));
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
