// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "tracker/command.h"

#include <QStringList>

#include <memory>
#include <span>

namespace voxtrack::store {
class Connection;
}

namespace voxtrack::tracker {

/// Writes batches of tracker commands to the database, each batch in one transaction, in an
/// order that keeps every constraint: the batch's session rows first, then its messages, then
/// its session ends. (Commands of one session keep their order within each group; the tracker
/// never queues a message after its session's end.) Used by the writer thread only.
class BatchWriter {
public:
    /// How messages reach PostgreSQL.
    enum class PostgresPath {
        Copy, ///< COPY … FROM STDIN through libpq on the driver's connection handle
        MultiRowInsert, ///< one INSERT … SELECT FROM unnest(arrays) per batch
    };

    virtual ~BatchWriter() = default;

    /// A writer for the connection's backend.
    [[nodiscard]] static Expected<std::unique_ptr<BatchWriter>> create(
        store::Connection& connection, PostgresPath path = PostgresPath::Copy);

    /// Writes commands in one transaction, all or nothing. With idempotent, rows already in
    /// the database (a batch retried after an unknown outcome, or replayed from the journal)
    /// are skipped instead of failing on their unique keys.
    /// Error codes: db.constraint (the data broke a constraint: retrying will not help),
    /// db.query / db.connection (the database failed or went away: retry).
    virtual Status write(std::span<const Command> commands, bool idempotent) = 0;

    /// Closes sessions a previous run left active: end_reason 'recovered', ended at their last
    /// message (or their start), duration and message_count from the stored rows. Returns the
    /// session ids closed.
    [[nodiscard]] virtual Expected<QStringList> recoverOpenSessions() = 0;
};

} // namespace voxtrack::tracker
