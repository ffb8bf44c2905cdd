// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"
#include "core/error.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <atomic>
#include <chrono>
#include <memory>

class QThread;

namespace voxtrack::store {

class ChangeFeedWorker;

/// What one write did to a conversation table, as the change feed reports it.
struct Change {
    enum class Table { Sessions, Messages };
    enum class Kind { Insert, Update };

    Table table = Table::Sessions;
    Kind kind = Kind::Insert;
    /// The lowest and highest id written. The rows lie in [firstId, lastId] but need not fill it
    /// (ids are not contiguous, and an update touches whichever rows it matched).
    qint64 firstId = 0;
    qint64 lastId = 0;
    /// How many rows the statement wrote (PostgreSQL), or the new rows in the range (SQLite
    /// inserts); 0 when unknown.
    qint64 rows = 0;
    /// False when the feed cannot tell which rows changed: SQLite updates, and PostgreSQL tables
    /// whose id is not an integer. A model then reloads what it shows of that table.
    bool rangeKnown = false;

    friend bool operator==(const Change&, const Change&) = default;
};

/// Follows the conversation tables of one database live, for item models.
///
/// PostgreSQL: migration 0003 sends one notification per statement on channel() (see
/// docs/schema.md for the payload); the feed LISTENs on a connection of its own. A connection
/// the server closed is noticed within pollInterval, one that stopped answering by a query every
/// livenessInterval.
///
/// SQLite: the feed polls PRAGMA data_version every pollInterval on a connection of its own. When
/// another connection has committed, it reports an Insert per table whose max(id) grew (the new
/// ids, rangeKnown true) and, since SQLite cannot say which rows were updated, an Update with
/// rangeKnown false for both tables. Rows inserted below the highest id already seen are not
/// reported as inserts.
///
/// The feed works on a thread of its own (a QSqlDatabase may only be used by the thread that
/// opened it); every signal is emitted in the thread the ChangeFeed lives in. Changes committed
/// before the feed first reports State::Live are not reported. When the connection is lost the
/// feed reports State::Lost, reconnects with a backoff, then reports State::Live and emits
/// resynced(): changes may have been missed meanwhile, so models reload what they show.
class ChangeFeed : public QObject {
    Q_OBJECT

public:
    enum class State { Connecting, Live, Lost };
    Q_ENUM(State)

    struct Options {
        /// SQLite: how often data_version is read. PostgreSQL: how often the feed looks, without a
        /// round trip, whether the server closed its connection.
        std::chrono::milliseconds pollInterval {250};
        /// PostgreSQL: how often a query checks that the connection still works (a connection
        /// that dies silently, without the server closing it, is noticed this way).
        std::chrono::milliseconds livenessInterval {2000};
        std::chrono::milliseconds reconnectDelay {250}; ///< the first wait before reconnecting…
        std::chrono::milliseconds maxReconnectDelay {5000}; ///< …doubled after each failure up to this
        /// PostgreSQL application_name of the feed's connection, unless the URL sets one.
        QString applicationName = QStringLiteral("voxtrack-changefeed");
    };

    explicit ChangeFeed(DatabaseUrl url, QObject* parent = nullptr);
    ChangeFeed(DatabaseUrl url, Options options, QObject* parent = nullptr);
    /// Stops the feed (see stop()).
    ~ChangeFeed() override;
    ChangeFeed(const ChangeFeed&) = delete;
    ChangeFeed& operator=(const ChangeFeed&) = delete;

    /// Starts the feed's thread, which connects and reports State::Connecting, then Live or Lost.
    /// Does nothing when already running.
    void start();
    /// Stops the thread and closes its connection, after a statement or connection attempt in
    /// progress has ended (a connection attempt lasts at most the URL's connect_timeout, 10 s
    /// unless it sets one). No signal is emitted after it returns.
    void stop();

    [[nodiscard]] bool isRunning() const { return m_thread != nullptr; }
    /// The last state reported (Connecting before the first report).
    [[nodiscard]] State state() const { return m_state; }
    [[nodiscard]] const DatabaseUrl& url() const { return m_url; }
    [[nodiscard]] const Options& options() const { return m_options; }
    /// Notifications on channel() whose payload parsePayload() rejected: they are ignored.
    [[nodiscard]] qint64 malformedCount() const { return m_malformed.load(); }

    /// The PostgreSQL notification channel: "voxtrack_changes".
    [[nodiscard]] static QString channel();
    /// Parses a PostgreSQL notification payload, strictly: an object with exactly the members
    /// t ("sessions" or "messages"), op ("insert" or "update"), min and max (integers with
    /// min <= max, or both null) and n (an integer of at least 1).
    /// Error code: feed.payload.
    [[nodiscard]] static Expected<Change> parsePayload(const QString& payload);

Q_SIGNALS:
    void changed(const voxtrack::store::Change& change);
    /// message: for Lost, what is wrong and what the feed does about it; otherwise a short status.
    void stateChanged(voxtrack::store::ChangeFeed::State state, const QString& message);
    /// Live again after a lost connection: changes may have been missed.
    void resynced();

private:
    friend class ChangeFeedWorker;

    DatabaseUrl m_url;
    Options m_options;
    State m_state = State::Connecting;
    quint64 m_generation = 0; ///< reports from an earlier start() are dropped
    std::atomic<qint64> m_malformed {0}; ///< counted by the worker
    std::unique_ptr<QThread> m_thread;
    ChangeFeedWorker* m_worker = nullptr; ///< lives in m_thread, deleted when it finishes
};

} // namespace voxtrack::store

Q_DECLARE_METATYPE(voxtrack::store::Change)
