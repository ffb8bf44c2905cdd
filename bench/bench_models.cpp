// SPDX-License-Identifier: MIT
// The inspector's models on a large database: time to the first page, to the last row, to a row
// in the middle, from a committed insert to the model's update (through the change feed), and the
// process's peak memory. JSON on stdout. bench/models fills the database and runs it.
#include "models/livebinding.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"
#include "store/connection.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QThread>
#include <QUuid>

#include <algorithm>
#include <cstdio>
#include <sys/resource.h>

using namespace voxtrack;
using models::SessionsModel;

namespace {

/// Runs the event loop until done() holds or timeoutMs passed; whether it held.
template <typename Predicate> bool waitFor(Predicate done, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        QThread::usleep(200);
    }
    return true;
}

void pause(int ms)
{
    waitFor([] { return false; }, ms);
}

[[noreturn]] void die(const QString& message)
{
    std::fprintf(stderr, "bench_models: %s\n", qPrintable(message));
    std::exit(2);
}

double peakRssMb()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) / 1024.0;
}

double round3(double value)
{
    return std::round(value * 1000.0) / 1000.0;
}

/// Milliseconds until row is loaded, asking for it as a view does.
double timeToRow(SessionsModel& model, int row)
{
    QElapsedTimer timer;
    timer.start();
    model.data(model.index(row, 0));
    if (!waitFor([&] { return model.data(model.index(row, 0), SessionsModel::LoadedRole).toBool(); }, 60000))
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

    auto writer = store::Connection::open(*url);
    if (!writer)
        die(writer.errorText());
    const auto sessions = (*writer)->scalar(QStringLiteral("SELECT count(*) FROM conversation_sessions"));
    const auto messages = (*writer)->scalar(QStringLiteral("SELECT count(*) FROM conversation_messages"));
    if (!sessions || !messages)
        die(QStringLiteral("the database cannot be counted"));

    QJsonObject report {{QStringLiteral("benchmark"), QStringLiteral("models")},
        {QStringLiteral("version"), QStringLiteral(VOXTRACK_VERSION)},
        {QStringLiteral("database"), url->isPostgreSql() ? QStringLiteral("postgresql") : QStringLiteral("sqlite")},
        {QStringLiteral("sessions"), sessions->toLongLong()}, {QStringLiteral("messages"), messages->toLongLong()}};

    store::ChangeFeed feed(*url);
    SessionsModel model;
    models::followChanges(feed, &model);
    feed.start();
    if (!waitFor([&] { return feed.state() == store::ChangeFeed::State::Live; }, 30000))
        die(QStringLiteral("the change feed did not go live"));

    // First page and the count.
    QElapsedTimer timer;
    timer.start();
    model.setDatabase(*url);
    if (!waitFor([&] { return model.rowCount() > 0; }, 60000))
        die(QStringLiteral("no first page within a minute"));
    const double firstPage = double(timer.nsecsElapsed()) / 1e6;
    if (!waitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 120000))
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
    waitFor([&] { return model.rowCountState() != SessionsModel::RowCountState::Unknown; }, 120000);
    const double filteredFirst = double(timer.nsecsElapsed()) / 1e6;
    waitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 300000);
    const double filteredCount = double(timer.nsecsElapsed()) / 1e6;
    model.setFilter({});
    if (!waitFor([&] { return model.rowCountState() == SessionsModel::RowCountState::Complete; }, 120000))
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
        if (const Status status = (*writer)->exec(sql.arg(QUuid::createUuid().toString(QUuid::WithoutBraces)));
            !status.isNull())
            die(status.message);
        timer.restart(); // autocommit: committed when exec returns
        if (!waitFor([&] { return model.rowCount() > before; }, 30000))
            die(QStringLiteral("an inserted session did not reach the model within 30 s"));
        liveMs << double(timer.nsecsElapsed()) / 1e6;
        pause(50);
    }
    (*writer)->exec(QStringLiteral("DELETE FROM conversation_sessions WHERE user_id = 'bench-live'"));

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
    report.insert(QStringLiteral("peak_rss_mb"), round3(peakRssMb()));
    std::printf("%s", QJsonDocument(report).toJson(QJsonDocument::Indented).constData());
    return 0;
}
