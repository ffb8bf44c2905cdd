// SPDX-License-Identifier: MIT
#include "store/changefeed.h"

#include "store/connection.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <array>
#include <optional>

namespace voxtrack::store {

Q_LOGGING_CATEGORY(lcChangeFeed, "voxtrack.store.changefeed", QtInfoMsg)

namespace {

/// "250 ms", "2 s", "2.5 s".
QString delayText(std::chrono::milliseconds delay)
{
    if (delay < std::chrono::seconds(1))
        return ChangeFeed::tr("%1 ms").arg(delay.count());
    return ChangeFeed::tr("%1 s").arg(QString::number(double(delay.count()) / 1000.0));
}

/// The first line of what the database or the driver said, without "FATAL:" and a final period.
QString errorWords(const QSqlError& error)
{
    QString text = error.databaseText().trimmed();
    if (text.isEmpty())
        text = error.driverText().trimmed();
    const qsizetype newline = text.indexOf(u'\n');
    if (newline > 0)
        text.truncate(newline);
    for (const auto prefix : {u"FATAL:", u"ERROR:"}) {
        if (text.startsWith(prefix))
            text = text.mid(QStringView(prefix).size());
    }
    text = text.trimmed();
    while (text.endsWith(u'.'))
        text.chop(1);
    return text.isEmpty() ? ChangeFeed::tr("no reason given") : text;
}

/// A sentence without its final period, to quote inside another.
QString clause(QString sentence)
{
    sentence = sentence.trimmed();
    while (sentence.endsWith(u'.'))
        sentence.chop(1);
    return sentence;
}

struct TableNames {
    Change::Table table;
    const char* sql;
};
constexpr std::array<TableNames, 2> conversationTables {{
    {Change::Table::Sessions, "conversation_sessions"},
    {Change::Table::Messages, "conversation_messages"},
}};

/// An integer JSON value, or nothing (a fraction, a string, a number past 64 bits…).
std::optional<qint64> integerValue(const QJsonValue& value)
{
    if (!value.isDouble())
        return std::nullopt;
    // toInteger() gives its default for anything that is not a whole number in range: two
    // different defaults tell that case apart from a real value.
    const qint64 first = value.toInteger(0);
    const qint64 second = value.toInteger(1);
    if (first != second)
        return std::nullopt;
    return first;
}

} // namespace

/// The feed's work, on the feed's thread: the connection, the timers, the notifications. Reports
/// go to the ChangeFeed by queued calls, so they arrive in its thread and in order.
class ChangeFeedWorker : public QObject {
public:
    ChangeFeedWorker(ChangeFeed* feed, const DatabaseUrl& url, const ChangeFeed::Options& options, quint64 generation)
        : m_feed(feed)
        , m_url(url)
        , m_options(options)
        , m_generation(generation)
        , m_delay(options.reconnectDelay)
    {
        m_tick.setTimerType(Qt::CoarseTimer);
        m_retry.setSingleShot(true);
        connect(&m_tick, &QTimer::timeout, this, &ChangeFeedWorker::tick);
        connect(&m_retry, &QTimer::timeout, this, &ChangeFeedWorker::connectToDatabase);
        if (m_url.isPostgreSql() && m_url.option(QStringLiteral("application_name")).isEmpty()
            && !m_options.applicationName.isEmpty())
            m_url = m_url.withOption(QStringLiteral("application_name"), m_options.applicationName);
    }

    void begin()
    {
        reportState(ChangeFeed::State::Connecting,
            ChangeFeed::tr("Connecting to %1 for live updates.").arg(m_url.toDisplayString()));
        connectToDatabase();
    }

    /// Closes the connection in the thread that opened it, then ends the thread.
    void shutdown()
    {
        m_tick.stop();
        m_retry.stop();
        m_connection.reset();
        QThread::currentThread()->quit();
    }

private:
    void connectToDatabase()
    {
        auto opened = Connection::open(m_url, Connection::Access::ReadOnly);
        if (!opened) {
            retryLater(ChangeFeed::tr("Live updates could not connect to the database (%1): retrying in %2.")
                           .arg(clause(opened.error().message), delayText(m_delay)));
            return;
        }
        m_connection = std::move(*opened);
        const Status status = m_connection->isPostgreSql() ? listen() : readBaseline();
        if (!status.isNull()) {
            m_connection.reset();
            retryLater(ChangeFeed::tr("Live updates could not follow the database (%1): retrying in %2.")
                           .arg(clause(status.message), delayText(m_delay)));
            return;
        }
        m_delay = m_options.reconnectDelay;
        m_sinceRoundTrip.start();
        m_tick.start(m_connection->isPostgreSql() ? std::min(m_options.pollInterval, m_options.livenessInterval)
                                                  : m_options.pollInterval);
        reportState(ChangeFeed::State::Live,
            m_connection->isPostgreSql()
                ? ChangeFeed::tr("Following %1 through notifications.").arg(m_url.toDisplayString())
                : ChangeFeed::tr("Following %1 by polling every %2.")
                      .arg(m_url.toDisplayString(), delayText(m_options.pollInterval)));
        if (m_lost) {
            m_lost = false;
            report([](ChangeFeed& feed) { Q_EMIT feed.resynced(); });
        }
    }

    Status listen()
    {
        QSqlDriver* driver = m_connection->database().driver();
        connect(driver, &QSqlDriver::notification, this, &ChangeFeedWorker::notified);
        if (!driver->subscribeToNotification(ChangeFeed::channel())) {
            return {QStringLiteral("feed.listen"),
                ChangeFeed::tr("PostgreSQL refused LISTEN %1 (%2)")
                    .arg(ChangeFeed::channel(), errorWords(driver->lastError()))};
        }
        return {};
    }

    void retryLater(const QString& message)
    {
        m_lost = true;
        reportState(ChangeFeed::State::Lost, message);
        m_retry.start(m_delay);
        m_delay = std::min(m_delay * 2, std::max(m_options.maxReconnectDelay, m_options.reconnectDelay));
    }

    void lose(const QString& reason)
    {
        m_tick.stop();
        m_connection.reset();
        retryLater(ChangeFeed::tr("The database connection was lost (%1): reconnecting in %2.")
                       .arg(reason, delayText(m_delay)));
    }

    void tick()
    {
        if (!m_connection)
            return;
        if (m_connection->isSqlite()) {
            poll();
            return;
        }
        // A connection the server closed (restart, pg_terminate_backend) shows at once, without a
        // round trip: the driver reads the end of the stream while it waits for notifications.
        if (!m_connection->database().isOpen()) {
            lose(ChangeFeed::tr("the server closed it"));
            return;
        }
        if (m_sinceRoundTrip.isValid() && m_sinceRoundTrip.elapsed() < m_options.livenessInterval.count())
            return;
        m_sinceRoundTrip.start();
        QSqlQuery query(m_connection->database());
        if (!query.exec(QStringLiteral("SELECT 1")))
            lose(errorWords(query.lastError()));
    }

    void notified(const QString& name, QSqlDriver::NotificationSource, const QVariant& payload)
    {
        if (name != ChangeFeed::channel())
            return;
        const auto change = ChangeFeed::parsePayload(payload.toString());
        if (!change) {
            m_feed->m_malformed.fetch_add(1);
            qCWarning(lcChangeFeed).noquote() << change.error().toString();
            return;
        }
        reportChange(*change);
    }

    /// SQLite: the data version and the highest ids as they are now; nothing is reported.
    Status readBaseline()
    {
        QSqlQuery query(m_connection->database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("PRAGMA data_version");
        if (!query.exec(sql) || !query.next())
            return queryError(query, sql);
        m_dataVersion = query.value(0).toLongLong();
        query.finish();
        for (std::size_t i = 0; i < conversationTables.size(); ++i) {
            const auto highest = maxId(conversationTables[i].sql);
            if (!highest)
                return highest.error();
            m_lastIds[i] = *highest;
        }
        return {};
    }

    Expected<qint64> maxId(const char* table)
    {
        QSqlQuery query(m_connection->database());
        query.setForwardOnly(true);
        const QString sql = QStringLiteral("SELECT max(id) FROM %1").arg(QLatin1String(table));
        if (!query.exec(sql))
            return queryError(query, sql);
        return query.next() ? query.value(0).toLongLong() : 0;
    }

    void poll()
    {
        QSqlQuery query(m_connection->database());
        query.setForwardOnly(true);
        if (!query.exec(QStringLiteral("PRAGMA data_version")) || !query.next()) {
            lose(errorWords(query.lastError()));
            return;
        }
        const qint64 version = query.value(0).toLongLong();
        query.finish();
        if (version == m_dataVersion)
            return;
        m_dataVersion = version;

        QList<Change> changes;
        for (std::size_t i = 0; i < conversationTables.size(); ++i) {
            const auto& [table, sql] = conversationTables[i];
            const auto highest = maxId(sql);
            if (!highest) {
                lose(clause(highest.error().message));
                return;
            }
            if (*highest > m_lastIds[i]) {
                QSqlQuery range(m_connection->database());
                range.setForwardOnly(true);
                const QString rangeSql
                    = QStringLiteral("SELECT min(id), max(id), count(*) FROM %1 WHERE id > ? AND id <= ?")
                          .arg(QLatin1String(sql));
                if (Status status = execQuery(range, rangeSql, {m_lastIds[i], *highest}); !status.isNull()) {
                    lose(clause(status.message));
                    return;
                }
                if (range.next() && range.value(2).toLongLong() > 0) {
                    changes.append({table, Change::Kind::Insert, range.value(0).toLongLong(),
                        range.value(1).toLongLong(), range.value(2).toLongLong(), true});
                }
            }
            // Rows deleted from the top: ids above the new maximum may be used again.
            m_lastIds[i] = *highest;
        }
        // SQLite does not say which rows another connection updated.
        for (const auto& names : conversationTables)
            changes.append({names.table, Change::Kind::Update, 0, 0, 0, false});
        for (const Change& change : std::as_const(changes))
            reportChange(change);
    }

    template <typename Function> void report(Function function)
    {
        QMetaObject::invokeMethod(
            m_feed,
            [feed = m_feed, generation = m_generation, function = std::move(function)] {
                if (feed->m_generation == generation)
                    function(*feed);
            },
            Qt::QueuedConnection);
    }

    void reportState(ChangeFeed::State state, const QString& message)
    {
        if (state == ChangeFeed::State::Lost)
            qCWarning(lcChangeFeed).noquote() << message;
        else
            qCDebug(lcChangeFeed).noquote() << message;
        report([state, message](ChangeFeed& feed) {
            feed.m_state = state;
            Q_EMIT feed.stateChanged(state, message);
        });
    }

    void reportChange(const Change& change)
    {
        report([change](ChangeFeed& feed) { Q_EMIT feed.changed(change); });
    }

    ChangeFeed* m_feed;
    DatabaseUrl m_url;
    ChangeFeed::Options m_options;
    quint64 m_generation;
    std::chrono::milliseconds m_delay;
    bool m_lost = false; ///< the next Live follows a Lost: resynced() is due
    std::unique_ptr<Connection> m_connection;
    QTimer m_tick {this}; ///< SQLite: the poll; PostgreSQL: the liveness check
    QElapsedTimer m_sinceRoundTrip; ///< PostgreSQL: since the last liveness query
    QTimer m_retry {this};
    qint64 m_dataVersion = 0;
    std::array<qint64, 2> m_lastIds {};
};

ChangeFeed::ChangeFeed(DatabaseUrl url, QObject* parent)
    : ChangeFeed(std::move(url), Options {}, parent)
{
}

ChangeFeed::ChangeFeed(DatabaseUrl url, Options options, QObject* parent)
    : QObject(parent)
    , m_url(std::move(url))
    , m_options(std::move(options))
{
    qRegisterMetaType<Change>();
}

ChangeFeed::~ChangeFeed()
{
    stop();
}

QString ChangeFeed::channel()
{
    return QStringLiteral("voxtrack_changes");
}

void ChangeFeed::start()
{
    if (m_thread)
        return;
    ++m_generation;
    m_state = State::Connecting;
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(QStringLiteral("voxtrack-changefeed"));
    m_worker = new ChangeFeedWorker(this, m_url, m_options, m_generation);
    m_worker->moveToThread(m_thread.get());
    connect(m_thread.get(), &QThread::started, m_worker, &ChangeFeedWorker::begin);
    connect(m_thread.get(), &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

void ChangeFeed::stop()
{
    if (!m_thread)
        return;
    ++m_generation; // reports already queued are dropped
    QMetaObject::invokeMethod(m_worker, &ChangeFeedWorker::shutdown, Qt::QueuedConnection);
    m_thread->wait();
    m_thread.reset();
    m_worker = nullptr;
}

Expected<Change> ChangeFeed::parsePayload(const QString& payload)
{
    auto invalid = [&payload](const QString& reason) -> Expected<Change> {
        QString shown = payload;
        if (shown.size() > 120)
            shown = shown.left(117) + QStringLiteral("...");
        return Error {QStringLiteral("feed.payload"),
            tr("The change notification \"%1\" is not valid (%2): it is ignored; check that the database's "
               "voxtrack_notify_change() is the one of migration 0003.")
                .arg(shown, reason)};
    };

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(payload.toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return invalid(tr("not a JSON object"));
    const QJsonObject object = document.object();
    static const QStringList members {
        QStringLiteral("t"), QStringLiteral("op"), QStringLiteral("min"), QStringLiteral("max"), QStringLiteral("n")};
    for (const QString& key : object.keys()) {
        if (!members.contains(key))
            return invalid(tr("unknown member \"%1\"").arg(key));
    }
    for (const QString& key : members) {
        if (!object.contains(key))
            return invalid(tr("the member \"%1\" is missing").arg(key));
    }

    Change change;
    const QJsonValue table = object.value(QStringLiteral("t"));
    if (table == QJsonValue(QStringLiteral("sessions")))
        change.table = Change::Table::Sessions;
    else if (table == QJsonValue(QStringLiteral("messages")))
        change.table = Change::Table::Messages;
    else
        return invalid(tr("t must be \"sessions\" or \"messages\""));

    const QJsonValue operation = object.value(QStringLiteral("op"));
    if (operation == QJsonValue(QStringLiteral("insert")))
        change.kind = Change::Kind::Insert;
    else if (operation == QJsonValue(QStringLiteral("update")))
        change.kind = Change::Kind::Update;
    else
        return invalid(tr("op must be \"insert\" or \"update\""));

    const auto rows = integerValue(object.value(QStringLiteral("n")));
    if (!rows || *rows < 1)
        return invalid(tr("n must be a whole number of at least 1"));
    change.rows = *rows;

    const QJsonValue first = object.value(QStringLiteral("min"));
    const QJsonValue last = object.value(QStringLiteral("max"));
    if (first.isNull() && last.isNull()) {
        change.rangeKnown = false;
        return change;
    }
    const auto firstId = integerValue(first);
    const auto lastId = integerValue(last);
    if (!firstId || !lastId)
        return invalid(tr("min and max must both be whole numbers, or both null"));
    if (*firstId > *lastId)
        return invalid(tr("min is greater than max"));
    change.firstId = *firstId;
    change.lastId = *lastId;
    change.rangeKnown = true;
    return change;
}

} // namespace voxtrack::store
