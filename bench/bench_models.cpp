// SPDX-License-Identifier: MIT
// The inspector's models on a large database: time to the first page, to the last row, to a row
// in the middle, from a committed insert to the model's update (through the change feed), and the
// process's peak memory. JSON on stdout. bench/models fills the database and runs it.
#include "core/process.h"
#include "models/livebinding.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"
#include "store/connection.h"

#include <QAbstractItemModelTester>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTest>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <cstdio>

using namespace voxtrack;
using models::SessionsModel;

namespace {

[[noreturn]] void die(const QString& message)
{
    std::fprintf(stderr, "bench_models: %s\n", qPrintable(message));
    std::exit(2);
}

double round3(double value)
{
    return std::round(value * 1000.0) / 1000.0;
}

/// Another client writing while the models are measured: a session with four messages every
/// 500 ms, each in its own transaction, until stopped.
class BackgroundWriter : public QThread {
public:
    explicit BackgroundWriter(DatabaseUrl url)
        : m_url(std::move(url))
    {
    }
    void stop() { m_stop.store(true); }
    [[nodiscard]] int written() const { return m_written.load(); }
    [[nodiscard]] QString error() const { return m_error; }

protected:
    void run() override
    {
        auto connection = store::Connection::open(m_url);
        if (!connection) {
            m_error = connection.errorText();
            return;
        }
        const bool postgres = m_url.isPostgreSql();
        while (!m_stop.load()) {
            const QString id = QUuid::createUuid().toString(QUuid::WithoutBraces);
            QStringList statements {postgres
                    ? QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active) VALUES "
                                     "('%1', 'bench-writer', true)")
                          .arg(id)
                    : QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active) VALUES "
                                     "('%1', 'bench-writer', 1)")
                          .arg(id)};
            for (int seq = 1; seq <= 4; ++seq) {
                statements << QStringLiteral("INSERT INTO conversation_messages (session_id, role, content, seq) "
                                             "VALUES ('%1', '%2', 'background message %3', %3)")
                                  .arg(id, seq % 2 ? QStringLiteral("user") : QStringLiteral("agent"))
                                  .arg(seq);
            }
            (*connection)->database().transaction();
            for (const QString& statement : std::as_const(statements)) {
                if (const Status status = (*connection)->exec(statement); !status.isNull()) {
                    m_error = status.message;
                    (*connection)->database().rollback();
                    return;
                }
            }
            (*connection)->database().commit();
            m_written.fetch_add(1);
            QThread::msleep(500);
        }
    }

private:
    DatabaseUrl m_url;
    std::atomic<bool> m_stop {false};
    std::atomic<int> m_written {0};
    QString m_error;
};

/// Milliseconds until row is loaded, asking for it as a view does.
double timeToRow(SessionsModel& model, int row)
{
    QElapsedTimer timer;
    timer.start();
    model.data(model.index(row, 0));
    if (!QTest::qWaitFor([&] { return model.data(model.index(row, 0), SessionsModel::LoadedRole).toBool(); }, 60000))
        die(QStringLiteral("row %1 did not load within a minute").arg(row));
    return double(timer.nsecsElapsed()) / 1e6;
}

QJsonObject summary(QList<double> values)
{
    std::sort(values.begin(), values.end());
    const auto at
        = [&](double q) { return values.isEmpty() ? 0.0 : values.at(qsizetype(q * double(values.size() - 1))); };
    return {{QStringLiteral("count"), values.size()}, {QStringLiteral("min_ms"), round3(values.value(0))},
        {QStringLiteral("p50_ms"), round3(at(0.5))}, {QStringLiteral("p90_ms"), round3(at(0.9))},
        {QStringLiteral("max_ms"), round3(values.isEmpty() ? 0 : values.constLast())}};
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
    QCommandLineParser parser;
    parser.addHelpOption();
    const QCommandLineOption dbOption(
        QStringLiteral("db"), QStringLiteral("The database to read."), QStringLiteral("url"));
    const QCommandLineOption insertsOption(QStringLiteral("inserts"),
        QStringLiteral("Live inserts to time (default 20)."), QStringLiteral("n"), QStringLiteral("20"));
    parser.addOptions({dbOption, insertsOption});
    parser.process(app);
    auto url = DatabaseUrl::parse(parser.value(dbOption));
    if (!url)
        die(url.errorText());
    const int inserts = parser.value(insertsOption).toInt();

    auto direct = store::Connection::open(*url);
    if (!direct)
        die(direct.errorText());
    const auto sessions = (*direct)->scalar(QStringLiteral("SELECT count(*) FROM conversation_sessions"));
    const auto messages = (*direct)->scalar(QStringLiteral("SELECT count(*) FROM conversation_messages"));
    if (!sessions || !messages)
        die(QStringLiteral("the database cannot be counted"));

    QJsonObject report {{QStringLiteral("benchmark"), QStringLiteral("models")},
        {QStringLiteral("version"), QStringLiteral(VOXTRACK_VERSION)},
        {QStringLiteral("database"), url->isPostgreSql() ? QStringLiteral("postgresql") : QStringLiteral("sqlite")},
        {QStringLiteral("sessions"), sessions->toLongLong()}, {QStringLiteral("messages"), messages->toLongLong()}};

    store::ChangeFeed feed(*url);
    SessionsModel model;
    models::followChanges(feed, &model);
    BackgroundWriter writer(*url);
    writer.start();
    feed.start();
    if (!QTest::qWaitFor([&] { return feed.state() == store::ChangeFeed::State::Live; }, 30000))
        die(QStringLiteral("the change feed did not go live"));

    // First page and the count.
    QElapsedTimer timer;
    timer.start();
    model.setDatabase(*url);
    if (!QTest::qWaitFor([&] { return model.rowCount() > 0; }, 60000))
        die(QStringLiteral("no first page within a minute"));
    const double firstPage = double(timer.nsecsElapsed()) / 1e6;
    if (!QTest::qWaitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 120000))
        die(QStringLiteral("no row count within two minutes"));
    const double counted = double(timer.nsecsElapsed()) / 1e6;
    const int rows = model.rowCount();

    const double lastRow = timeToRow(model, rows - 1);
    const double middleRow = timeToRow(model, rows / 2);
    const double nextWindow = timeToRow(model, rows / 2 + SessionsModel::windowSize);

    // Filtered by text in a message: first page and count.
    store::SessionFilter text;
    text.contentText = QStringLiteral("message 7 of 12345");
    timer.restart();
    model.setFilter(text);
    (void)QTest::qWaitFor([&] { return model.rowCountState() != SessionsModel::RowCountState::Unknown; }, 120000);
    const double filteredFirst = double(timer.nsecsElapsed()) / 1e6;
    (void)QTest::qWaitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 300000);
    const double filteredCount = double(timer.nsecsElapsed()) / 1e6;
    model.setFilter({});
    if (!QTest::qWaitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 120000))
        die(QStringLiteral("no row count after the filter was cleared"));
    timeToRow(model, 0);

    // Committed insert → the row in the model, through the change feed.
    QList<double> liveMs;
    for (int i = 0; i < inserts; ++i) {
        const int before = model.rowCount();
        const QString sql = url->isPostgreSql()
            ? QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, started_at, is_active) "
                             "VALUES ('%1', 'bench-live', now(), true)")
            : QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, is_active) "
                             "VALUES ('%1', 'bench-live', 1)");
        if (const Status status = (*direct)->exec(sql.arg(QUuid::createUuid().toString(QUuid::WithoutBraces)));
            !status.isNull())
            die(status.message);
        timer.restart(); // autocommit: committed when exec returns
        if (!QTest::qWaitFor([&] { return model.rowCount() > before; }, 30000))
            die(QStringLiteral("an inserted session did not reach the model within 30 s"));
        liveMs << double(timer.nsecsElapsed()) / 1e6;
        QTest::qWait(50);
    }
    // Then the same under QAbstractItemModelTester (fatal on any inconsistency): a jump, live
    // inserts while the writer goes on, a filter. The tester walks every row on each signal of the
    // model, so this phase is not timed, except one pass of it.
    timer.restart();
    auto tester
        = std::make_unique<QAbstractItemModelTester>(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    const double testerPass = double(timer.nsecsElapsed()) / 1e6;
    timeToRow(model, model.rowCount() / 3);
    const int beforeTested = model.rowCount();
    const int writtenBefore = writer.written();
    if (!QTest::qWaitFor(
            [&] { return writer.written() >= writtenBefore + 3 && model.rowCount() >= beforeTested + 3; }, 120000))
        die(QStringLiteral("live rows did not arrive under the model tester"));
    store::SessionFilter web;
    web.metadataKey = QStringLiteral("channel");
    web.metadataValue = QStringLiteral("web");
    model.setFilter(web);
    if (!QTest::qWaitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 120000))
        die(QStringLiteral("no row count for the metadata filter under the model tester"));
    timeToRow(model, model.rowCount() - 1);
    tester.reset();

    writer.stop();
    writer.wait();
    if (!writer.error().isEmpty())
        die(QStringLiteral("the background writer failed: ") + writer.error());
    (*direct)->exec(
        QStringLiteral("DELETE FROM conversation_sessions WHERE user_id IN ('bench-live', 'bench-writer')"));

    report.insert(QStringLiteral("rows"), rows);
    report.insert(QStringLiteral("first_page_ms"), round3(firstPage));
    report.insert(QStringLiteral("row_count_ms"), round3(counted));
    report.insert(QStringLiteral("jump_to_last_row_ms"), round3(lastRow));
    report.insert(QStringLiteral("jump_to_middle_row_ms"), round3(middleRow));
    report.insert(QStringLiteral("next_window_ms"), round3(nextWindow));
    report.insert(QStringLiteral("text_filter_first_page_ms"), round3(filteredFirst));
    report.insert(QStringLiteral("text_filter_count_ms"), round3(filteredCount));
    report.insert(QStringLiteral("insert_to_model"), summary(liveMs));
    report.insert(QStringLiteral("loaded_rows"), model.loadedRowCount());
    report.insert(QStringLiteral("model_tester_pass_ms"), round3(testerPass));
    report.insert(QStringLiteral("background_sessions_written"), writer.written());
    report.insert(QStringLiteral("peak_rss_mb"), round3(processUsage().peakRssMb));
    std::printf("%s", QJsonDocument(report).toJson(QJsonDocument::Indented).constData());
    return 0;
}
