// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QDateTime>

#include <atomic>
#include <functional>
#include <optional>

namespace voxtrack::store {
class Connection;
}

namespace voxtrack::tracker {

/// How far a seeding run has come, for a progress line.
struct SeedProgress {
    qint64 rowsWritten = 0; ///< sessions and messages handed to the database so far
    qint64 rowsTotal = 0;
    double elapsedSeconds = 0;
    bool committing = false; ///< every row is written; the transaction is being committed
};

struct SeedOptions {
    static constexpr qint64 maxSessions = 10'000'000;
    static constexpr int maxMessagesPerSession = 1000;
    static constexpr qint64 maxUsers = 10'000'000;
    static constexpr int maxDays = 3650;
    /// Seeds stay below 2^53 so that they survive a trip through JSON numbers.
    static constexpr quint64 maxSeed = (quint64(1) << 53) - 1;

    qint64 sessions = 1; ///< 1 … maxSessions
    int messagesPerSession = 10; ///< 0 … maxMessagesPerSession, the system prompt included
    qint64 users = 0; ///< 1 … maxUsers; 0 means max(1, sessions / 20)
    int days = 30; ///< ended sessions start within this many days back from now (1 … maxDays)
    double activePercent = 1.0; ///< share of sessions still open (0 … 100), started within the last hour
    /// The same seed gives the same content (users, times relative to now, texts, metadata);
    /// session_id, message_id and audio file names are fresh UUIDs every run. 0 … maxSeed;
    /// random when unset.
    std::optional<quint64> seed;
    /// The moment every time is counted back from; the current time when invalid.
    QDateTime now;
    /// Most agent messages get an audio_url at an example host that serves nothing, as a
    /// tracking server's rows look. False leaves every audio_url NULL, for data an app will
    /// try to play (the content is otherwise the same for the same seed).
    bool audioUrls = true;

    /// Called on the calling thread, about five times a second, and once more before the commit.
    std::function<void(const SeedProgress&)> progress;
    /// Read between rows; once it is true the run stops and rolls back. May be set from any
    /// thread or a signal handler (it is lock-free).
    const std::atomic<bool>* cancel = nullptr;
};

struct SeedResult {
    qint64 sessions = 0;
    qint64 openSessions = 0; ///< of sessions, those left active
    qint64 messages = 0;
    qint64 users = 0; ///< the size of the user pool sessions were drawn from
    quint64 seed = 0; ///< the seed used: give it again to repeat the content
    QDateTime now; ///< the moment times were counted back from
    double seconds = 0; ///< from the start of the transaction to its commit
    double commitSeconds = 0; ///< of seconds, the commit alone

    [[nodiscard]] qint64 rows() const { return sessions + messages; }
    [[nodiscard]] double rowsPerSecond() const { return seconds > 0 ? double(rows()) / seconds : 0.0; }
};

/// Appends realistic conversations to a migrated database: sessions spread over the last days
/// (ended ones with durations from seconds to half an hour, a few still open), each with a
/// system prompt and alternating user and agent messages drawn from a bank of voice-assistant
/// exchanges, with metadata, audio URLs and timestamps as a tracking server writes them. The
/// rows pass every doctor check. Everything is written in one transaction: on failure or
/// cancellation nothing is left behind. PostgreSQL receives the rows through COPY … FROM STDIN
/// (a chunk of sessions, then their messages), SQLite through prepared multi-row INSERTs.
class Seeder {
public:
    /// connection must stay open, in this thread, for as long as the Seeder runs.
    Seeder(store::Connection& connection, SeedOptions options);

    /// The options as a sentence when one is out of range (code seed.options), or null.
    [[nodiscard]] static Status validate(const SeedOptions& options);

    /// Writes the rows. Error codes: seed.options, seed.not_migrated (the conversation tables or
    /// their current columns are missing: run voxtrack-cli migrate), seed.cancelled, db.* (the
    /// database failed; nothing was written).
    [[nodiscard]] Expected<SeedResult> run();

private:
    store::Connection& m_connection;
    SeedOptions m_options;
};

} // namespace voxtrack::tracker
