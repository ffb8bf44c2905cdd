// SPDX-License-Identifier: MIT
#include "server/embeddedserver.h"

#include "server/agent.h"
#include "store/connection.h"
#include "store/migrator.h"
#include "tracker/conversationtracker.h"

#include <QCoreApplication>
#include <QDir>

namespace voxtrack::server {

ServerOptions EmbeddedServer::Options::defaultServerOptions()
{
    ServerOptions options;
    options.port = 0;
    options.noAuth = true;
    return options;
}

Expected<std::unique_ptr<EmbeddedServer>> EmbeddedServer::start(Options options)
{
    std::unique_ptr<EmbeddedServer> embedded(new EmbeddedServer);
    embedded->m_database = options.database;
    QString journal = options.journalDirectory;
    if (journal.isEmpty()) {
        embedded->m_temporaryJournal = std::make_unique<QTemporaryDir>();
        if (!embedded->m_temporaryJournal->isValid()) {
            return Error {QStringLiteral("server.journal"),
                QCoreApplication::translate("voxtrack::server::EmbeddedServer",
                    "No temporary directory for the journal: %1. Free some space or set TMPDIR.")
                    .arg(embedded->m_temporaryJournal->errorString())};
        }
        journal = embedded->m_temporaryJournal->path();
    } else if (!QDir().mkpath(journal)) {
        return Error {QStringLiteral("server.journal"),
            QCoreApplication::translate("voxtrack::server::EmbeddedServer",
                "Could not create the journal directory %1: check its parent is writable.")
                .arg(journal)};
    }
    if (options.audioDirectory == u"none") {
        options.server.audioDirectory.clear();
    } else if (!options.audioDirectory.isEmpty()) {
        options.server.audioDirectory = options.audioDirectory;
    } else {
        embedded->m_temporaryAudio = std::make_unique<QTemporaryDir>();
        if (!embedded->m_temporaryAudio->isValid()) {
            return Error {QStringLiteral("server.audio_dir"),
                QCoreApplication::translate("voxtrack::server::EmbeddedServer",
                    "No temporary directory for the audio: %1. Free some space or set TMPDIR.")
                    .arg(embedded->m_temporaryAudio->errorString())};
        }
        options.server.audioDirectory = embedded->m_temporaryAudio->path();
    }
    // As voxtrackd does: the schema is in place before the first client comes.
    {
        auto connection = store::Connection::open(options.database);
        if (!connection)
            return connection.error();
        if (auto migrated = store::Migrator(**connection).migrate(); !migrated)
            return migrated.error();
    }
    tracker::TrackerOptions trackerOptions;
    trackerOptions.database = options.database;
    trackerOptions.journalDirectory = journal;
    embedded->m_tracker = std::make_unique<tracker::ConversationTracker>(trackerOptions);
    if (const Status started = embedded->m_tracker->start(); !started.isNull())
        return started;
    std::shared_ptr<const Agent> agent = std::move(options.agent);
    if (!agent)
        agent = RulesAgent::defaultRules();
    embedded->m_server
        = std::make_unique<ConversationServer>(options.server, embedded->m_tracker.get(), std::move(agent));
    if (const Status listening = embedded->m_server->listen(); !listening.isNull())
        return listening;
    return embedded;
}

EmbeddedServer::~EmbeddedServer()
{
    if (m_server)
        m_server->shutdown(5000);
    if (m_tracker)
        m_tracker->stop(10000);
    m_server.reset();
    m_tracker.reset();
}

bool EmbeddedServer::waitForPersisted(int timeoutMs)
{
    return m_tracker->waitForPersisted(m_tracker->lastTicket(), timeoutMs);
}

} // namespace voxtrack::server
