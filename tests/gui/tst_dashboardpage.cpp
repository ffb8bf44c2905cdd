// SPDX-License-Identifier: MIT
#include "gui/dashboardpage.h"
#include "models/chartvalueproxy.h"
#include "models/statisticsmodels.h"
#include "store/changefeed.h"
#include "support/testdatabase.h"

#include <QAbstractItemModelTester>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QComboBox>
#include <QElapsedTimer>
#include <QGraphicsSimpleTextItem>
#include <QImage>
#include <QLabel>
#include <QLineSeries>
#include <QLoggingCategory>
#include <QPieSeries>
#include <QPieSlice>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <cmath>

using namespace voxtrack;
using voxtrack::gui::DashboardPage;
using voxtrack::models::HistogramModel;
using voxtrack::test::TestDatabase;
using Chart = voxtrack::gui::DashboardPage::Chart;

namespace {

/// The sessions of the data set: id, started_at, duration in seconds (all ended).
struct SessionSpec {
    const char* id;
    const char* startedAt;
    int duration;
};

const SessionSpec sessions[] = {
    {"s01", "2025-10-18T10:00:05.000Z", 4},
    {"s02", "2025-10-18T10:00:40.000Z", 12},
    {"s03", "2025-10-18T10:01:10.000Z", 25},
    {"s04", "2025-10-18T10:02:00.000Z", 45},
    {"s05", "2025-10-18T10:02:30.000Z", 90},
    {"s06", "2025-10-18T10:04:00.000Z", 200},
    {"s07", "2025-10-18T10:05:00.000Z", 700},
    {"s08", "2025-10-18T10:06:00.000Z", 2000},
};

/// Agent reply latencies, one reply each, in s07.
const int latencies[] = {120, 250, 480, 999, 1500, 6000};

QDateTime at(const char* iso)
{
    return QDateTime::fromString(QString::fromLatin1(iso), Qt::ISODateWithMs).toUTC();
}

/// The continuous percentile of sorted values, as docs/statistics.md defines it.
double percentile(const QList<double>& sorted, double fraction)
{
    const double rank = fraction * double(sorted.size() - 1);
    const auto lower = qsizetype(std::floor(rank));
    const auto upper = qsizetype(std::ceil(rank));
    return sorted.at(lower) + (sorted.at(upper) - sorted.at(lower)) * (rank - std::floor(rank));
}

template <typename Series> Series* seriesNamed(QChart* chart, const QString& name)
{
    for (QAbstractSeries* series : chart->series()) {
        if (series->name() == name)
            return qobject_cast<Series*>(series);
    }
    return nullptr;
}

/// The text shown over a chart without data, or empty.
QString emptyText(QChart* chart)
{
    for (QGraphicsItem* item : chart->childItems()) {
        if (auto* text = dynamic_cast<QGraphicsSimpleTextItem*>(item); text && text->isVisible())
            return text->text();
    }
    return {};
}

} // namespace

class TestDashboardPage : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TestDatabase> m_database;
    std::unique_ptr<store::Connection> m_writer;

    [[nodiscard]] bool postgres() const { return m_database->isPostgreSql(); }

    void addSession(const QString& id, const QDateTime& startedAt, int duration)
    {
        const QString start = startedAt.toString(Qt::ISODateWithMs);
        const QString end = startedAt.addSecs(duration).toString(Qt::ISODateWithMs);
        VOXTRACK_VERIFY_OK(m_writer->exec(
            QStringLiteral("INSERT INTO conversation_sessions (session_id, user_id, session_start, started_at, "
                           "session_end, ended_at, duration_seconds, is_active, end_reason) "
                           "VALUES ('%1', 'user-1', '%2', '%2', '%3', '%3', %4, %5, 'client_closed')")
                .arg(id, start, end, QString::number(duration),
                    postgres() ? QStringLiteral("false") : QStringLiteral("0"))));
    }

    void addMessage(const QString& sessionId, const QString& role, const QDateTime& createdAt, int latency = -1)
    {
        const QString metadata
            = latency < 0 ? QStringLiteral("{}") : QStringLiteral("{\"reply_latency_ms\": %1}").arg(latency);
        VOXTRACK_VERIFY_OK(m_writer->exec(QStringLiteral("INSERT INTO conversation_messages (session_id, user_id, "
                                                         "role, content, created_at, metadata) "
                                                         "VALUES ('%1', 'user-1', '%2', 'text', '%3', '%4')")
                                              .arg(sessionId, role, createdAt.toString(Qt::ISODateWithMs), metadata)));
    }

    /// Messages with a role the check does not allow, planted as a broken server would have left them.
    void addBadRoles(const QString& role, int count)
    {
        if (postgres()) {
            VOXTRACK_VERIFY_OK(m_writer->exec(
                QStringLiteral("ALTER TABLE conversation_messages DROP CONSTRAINT conversation_messages_role_check")));
        } else {
            VOXTRACK_VERIFY_OK(m_writer->exec(QStringLiteral("PRAGMA ignore_check_constraints=ON")));
        }
        for (int index = 0; index < count; ++index)
            addMessage(QStringLiteral("s06"), role, at("2025-10-18T10:04:30.000Z").addSecs(index));
        if (postgres()) {
            VOXTRACK_VERIFY_OK(m_writer->exec(
                QStringLiteral("ALTER TABLE conversation_messages ADD CONSTRAINT conversation_messages_role_check "
                               "CHECK (role IN ('user', 'agent', 'system')) NOT VALID")));
        } else {
            VOXTRACK_VERIFY_OK(m_writer->exec(QStringLiteral("PRAGMA ignore_check_constraints=OFF")));
        }
    }

    qint64 count(const QString& sql)
    {
        const auto value = m_writer->scalar(sql);
        if (!value) {
            QTest::qFail(qPrintable(value.errorText()), __FILE__, __LINE__);
            return -1;
        }
        return value->toLongLong();
    }

    QString epochMs(const QString& column) const { return test::sqlEpochMs(m_database->backend(), column); }

    QString latencyValue() const
    {
        return postgres() ? QStringLiteral("CAST(metadata->>'reply_latency_ms' AS double precision)")
                          : QStringLiteral("json_extract(metadata, '$.reply_latency_ms')");
    }

    /// Opens the page on the database and waits for its first numbers.
    static void open(DashboardPage& page, const DatabaseUrl& url, store::ChangeFeed* feed = nullptr)
    {
        page.resize(1100, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QSignalSpy reloaded(&page, &DashboardPage::reloaded);
        page.setDatabase(url, feed);
        QVERIFY(reloaded.wait(10000));
    }

    /// The sum of the y values of a series.
    static qint64 total(const QXYSeries* series)
    {
        double sum = 0;
        for (const QPointF& point : series->points())
            sum += point.y();
        return qint64(sum);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("voxtrack.*.info=false"));
        QLocale::setDefault(QLocale::c());
    }

    void init()
    {
        auto created = TestDatabase::create();
        QVERIFY2(created.hasValue(), qPrintable(created.errorText()));
        m_database = std::move(*created);
        m_writer = m_database->connectMigrated();
        QVERIFY(m_writer);
        for (const SessionSpec& session : sessions)
            addSession(QString::fromLatin1(session.id), at(session.startedAt), session.duration);
        const QDateTime s07 = at("2025-10-18T10:05:00.000Z");
        addMessage(QStringLiteral("s07"), QStringLiteral("system"), s07);
        for (int index = 0; index < int(std::size(latencies)); ++index) {
            addMessage(QStringLiteral("s07"), QStringLiteral("user"), s07.addSecs(10 * index + 1));
            addMessage(QStringLiteral("s07"), QStringLiteral("agent"), s07.addSecs(10 * index + 2), latencies[index]);
        }
        addBadRoles(QStringLiteral("assistant"), 2);
    }

    void cleanup()
    {
        m_writer.reset();
        m_database.reset();
    }

    void chartsHoldTheDatabasesNumbers()
    {
        DashboardPage page;
        std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
        for (auto* proxy : page.findChildren<models::ChartValueProxy*>()) {
            testers.push_back(std::make_unique<QAbstractItemModelTester>(
                proxy, QAbstractItemModelTester::FailureReportingMode::QtTest));
        }
        QCOMPARE(testers.size(), size_t(6));
        open(page, m_database->url());

        // The status line counts the sessions.
        const qint64 sessionCount = count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions"));
        QCOMPARE(sessionCount, qint64(std::size(sessions)));
        auto* status = page.findChild<QLabel*>(QStringLiteral("statusLabel"));
        QVERIFY(status);
        QVERIFY2(status->text().startsWith(QStringLiteral("Updated ")), qPrintable(status->text()));
        QVERIFY2(
            status->text().endsWith(QStringLiteral(" · %1 session(s)").arg(sessionCount)), qPrintable(status->text()));
        QCOMPARE(page.statusText(), status->text());

        // Sessions over time: per minute (Auto for seven minutes of data), each point the database's count.
        QChart* sessionsChart = page.chart(Chart::SessionsOverTime);
        QCOMPARE(sessionsChart->title(), QStringLiteral("Sessions over time, per minute"));
        auto* started = seriesNamed<QLineSeries>(sessionsChart, QStringLiteral("Started"));
        auto* active = seriesNamed<QLineSeries>(sessionsChart, QStringLiteral("Active"));
        QVERIFY(started && active);
        QCOMPARE(started->count(), 7); // 10:00 to 10:06
        QCOMPARE(total(started), sessionCount);
        for (const QPointF& point : started->points()) {
            const auto from = qint64(point.x());
            QCOMPARE(qint64(point.y()),
                count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE %1 >= %2 AND %1 < %3")
                          .arg(epochMs(QStringLiteral("started_at")))
                          .arg(from)
                          .arg(from + 60000)));
        }
        QCOMPARE(qint64(started->at(0).x()), at("2025-10-18T10:00:00.000Z").toMSecsSinceEpoch());
        QCOMPARE(active->count(), 40); // 10:00 to 10:39, when s08 ended
        for (const QPointF& point : active->points()) {
            const auto from = qint64(point.x());
            QCOMPARE(qint64(point.y()),
                count(QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE %1 < %3 AND %2 >= %4")
                          .arg(epochMs(QStringLiteral("started_at")), epochMs(QStringLiteral("ended_at")))
                          .arg(from + 60000)
                          .arg(from)));
        }

        // Durations: a bar per bin, its category the bin's label.
        QChart* durationsChart = page.chart(Chart::Durations);
        auto* durations = qobject_cast<QBarSeries*>(durationsChart->series().value(0));
        QVERIFY(durations);
        QCOMPARE(durations->count(), 1);
        QBarSet* sessionsSet = durations->barSets().constFirst();
        const HistogramModel* durationModel = page.loader()->durationHistogramModel();
        QCOMPARE(sessionsSet->count(), 8);
        QStringList labels;
        qint64 barTotal = 0;
        for (int bin = 0; bin < sessionsSet->count(); ++bin) {
            labels << durationModel->index(bin, HistogramModel::RangeColumn).data().toString();
            const double lower = durationModel->index(bin, HistogramModel::FromColumn)
                                     .data(models::StatisticsTableModel::ValueRole)
                                     .toDouble();
            const QVariant upper
                = durationModel->index(bin, HistogramModel::ToColumn).data(models::StatisticsTableModel::ValueRole);
            QString sql = QStringLiteral("SELECT COUNT(*) FROM conversation_sessions WHERE ended_at IS NOT NULL");
            if (bin > 0)
                sql += QStringLiteral(" AND duration_seconds >= %1").arg(lower);
            if (upper.isValid())
                sql += QStringLiteral(" AND duration_seconds < %1").arg(upper.toDouble());
            QCOMPARE(qint64(sessionsSet->at(bin)), count(sql));
            barTotal += qint64(sessionsSet->at(bin));
        }
        QCOMPARE(barTotal, sessionCount);
        QCOMPARE(labels.constFirst(), QStringLiteral("< 10 s"));
        auto* bins = qobject_cast<QBarCategoryAxis*>(durationsChart->axes(Qt::Horizontal).value(0));
        QVERIFY(bins);
        QStringList escaped; // axis labels are rich text
        for (const QString& label : std::as_const(labels))
            escaped << label.toHtmlEscaped();
        QCOMPARE(bins->categories(), escaped);
        QCOMPARE(bins->categories().constFirst(), QStringLiteral("&lt; 10 s"));

        // Messages by role: a slice per role with its count; the role outside the set in the error colour.
        auto* roles = qobject_cast<QPieSeries*>(page.chart(Chart::MessagesByRole)->series().value(0));
        QVERIFY(roles);
        QCOMPARE(
            qint64(roles->count()), count(QStringLiteral("SELECT COUNT(DISTINCT role) FROM conversation_messages")));
        QStringList sliceRoles;
        for (QPieSlice* slice : roles->slices()) {
            sliceRoles << slice->label();
            QCOMPARE(qint64(slice->value()),
                count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages WHERE role = '%1'")
                          .arg(slice->label())));
        }
        QCOMPARE(sliceRoles,
            QStringList({QStringLiteral("user"), QStringLiteral("agent"), QStringLiteral("system"),
                QStringLiteral("assistant")}));
        QPieSlice* assistant = roles->slices().at(3);
        QVERIFY(assistant->isExploded());
        QVERIFY(assistant->brush().color() != roles->slices().at(0)->brush().color());
        QVERIFY(assistant->brush().color() != roles->slices().at(1)->brush().color());
        auto* warning = page.findChild<QLabel*>(QStringLiteral("roleWarningLabel"));
        QVERIFY(warning && warning->isVisible());
        QCOMPARE(warning->text(), QStringLiteral("2 message(s) have a role the schema does not allow: assistant"));

        // Reply latency: p50, p90, p95, p99 of the agent replies, and the replies per latency range.
        QChart* latencyChart = page.chart(Chart::ReplyLatency);
        QCOMPARE(latencyChart->series().size(), 1);
        auto* percentileSeries = qobject_cast<QBarSeries*>(latencyChart->series().constFirst());
        QVERIFY(percentileSeries);
        QBarSet* percentiles = percentileSeries->barSets().value(0);
        QVERIFY(percentiles);
        QCOMPARE(latencyChart->title(), QStringLiteral("Reply latency percentiles"));
        auto* latencyView = page.findChild<QToolButton*>(QStringLiteral("latencyViewButton"));
        QVERIFY(latencyView);
        latencyView->click();
        QCOMPARE(latencyChart->title(), QStringLiteral("Reply latency distribution"));
        QCOMPARE(latencyChart->series().size(), 1);
        auto* histogramSeries = qobject_cast<QBarSeries*>(latencyChart->series().constFirst());
        QVERIFY(histogramSeries && histogramSeries != percentileSeries);
        QBarSet* histogram = histogramSeries->barSets().value(0);
        QVERIFY(histogram);
        QList<double> sorted;
        for (int latency : latencies)
            sorted << latency;
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(percentiles->count(), 4);
        QCOMPARE(percentiles->at(0), percentile(sorted, 0.5));
        QCOMPARE(percentiles->at(1), percentile(sorted, 0.9));
        QCOMPARE(percentiles->at(2), percentile(sorted, 0.95));
        QCOMPARE(percentiles->at(3), percentile(sorted, 0.99));
        QCOMPARE(percentiles->at(0), 739.5);
        const HistogramModel* latencyModel = page.loader()->latencyHistogramModel();
        QCOMPARE(histogram->count(), latencyModel->rowCount());
        for (int bin = 0; bin < histogram->count(); ++bin) {
            const double lower = latencyModel->index(bin, HistogramModel::FromColumn)
                                     .data(models::StatisticsTableModel::ValueRole)
                                     .toDouble();
            const QVariant upper
                = latencyModel->index(bin, HistogramModel::ToColumn).data(models::StatisticsTableModel::ValueRole);
            QString sql = QStringLiteral("SELECT COUNT(*) FROM conversation_messages WHERE role = 'agent'");
            if (bin > 0)
                sql += QStringLiteral(" AND %1 >= %2").arg(latencyValue()).arg(lower);
            if (upper.isValid())
                sql += QStringLiteral(" AND %1 < %2").arg(latencyValue()).arg(upper.toDouble());
            QCOMPARE(qint64(histogram->at(bin)), count(sql));
        }
        QCOMPARE(qint64(histogram->sum()), qint64(std::size(latencies)));

        latencyView->click(); // back to the percentiles
        QCOMPARE(latencyChart->title(), QStringLiteral("Reply latency percentiles"));
        // With data every chart draws its axes, no "empty" text.
        for (Chart which : {Chart::SessionsOverTime, Chart::Durations, Chart::MessagesByRole, Chart::ReplyLatency})
            QCOMPARE(emptyText(page.chart(which)), QString());
    }

    void rangeAndBucketChooseWhatIsCounted()
    {
        DashboardPage page;
        open(page, m_database->url());
        QSignalSpy reloaded(&page, &DashboardPage::reloaded);
        auto* bucket = page.findChild<QComboBox*>(QStringLiteral("bucketCombo"));
        QVERIFY(bucket);
        bucket->setCurrentIndex(2); // Hour
        QVERIFY(reloaded.wait(10000));
        QCOMPARE(page.loader()->bucket(), store::Bucket::Hour);
        QCOMPARE(page.chart(Chart::SessionsOverTime)->title(), QStringLiteral("Sessions over time, per hour"));
        auto* started = seriesNamed<QLineSeries>(page.chart(Chart::SessionsOverTime), QStringLiteral("Started"));
        QCOMPARE(started->count(), 1);
        QCOMPARE(started->at(0).y(), double(std::size(sessions)));

        // The last hour holds none of these sessions (all from 2025).
        page.setRange(DashboardPage::Range::LastHour);
        QVERIFY(reloaded.wait(10000));
        QVERIFY(page.loader()->range().from.isValid());
        QCOMPARE(started->count(), 0);
        for (Chart which : {Chart::SessionsOverTime, Chart::Durations, Chart::MessagesByRole, Chart::ReplyLatency})
            QCOMPARE(emptyText(page.chart(which)), QStringLiteral("No sessions in this range"));
        QVERIFY(page.statusText().endsWith(QStringLiteral(" · 0 session(s)")));

        // F5 reloads while the page is shown.
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        QTest::keyClick(&page, Qt::Key_F5);
        QVERIFY(page.loader()->isLoading());
        QVERIFY(reloaded.wait(10000));
    }

    void emptyDatabaseSaysSo()
    {
        VOXTRACK_TEST_DATABASE(empty);
        QVERIFY(empty->connectMigrated());
        DashboardPage page;
        open(page, empty->url());
        for (Chart which : {Chart::SessionsOverTime, Chart::Durations, Chart::MessagesByRole, Chart::ReplyLatency}) {
            QCOMPARE(emptyText(page.chart(which)), QStringLiteral("No sessions yet"));
            for (QAbstractAxis* axis : page.chart(which)->axes())
                QVERIFY(!axis->isVisible());
        }
        QVERIFY(page.statusText().endsWith(QStringLiteral(" · 0 session(s)")));
        QVERIFY(!page.findChild<QLabel*>(QStringLiteral("roleWarningLabel"))->isVisible());
    }

    void exportsEachChartAsPng()
    {
        DashboardPage page;
        open(page, m_database->url());
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        QSignalSpy status(&page, &DashboardPage::statusMessage);
        for (Chart which : {Chart::SessionsOverTime, Chart::Durations, Chart::MessagesByRole, Chart::ReplyLatency}) {
            const QString file = directory.filePath(QStringLiteral("chart-%1.png").arg(int(which)));
            QVERIFY(page.exportChart(which, file));
            const QImage image(file);
            QVERIFY(!image.isNull());
            QCOMPARE(image.size(), page.chart(which)->size().toSize());
            QVERIFY(image.width() > 300 && image.height() > 200);
        }
        status.clear();
        QVERIFY(!page.exportChart(Chart::Durations, directory.filePath(QStringLiteral("missing/chart.png"))));
        QCOMPARE(status.size(), 1);
        QVERIFY(status.constFirst().constFirst().toString().startsWith(QStringLiteral("Could not write the chart")));
    }

    void followsTheChangeFeed()
    {
        store::ChangeFeed::Options options;
        options.pollInterval = std::chrono::milliseconds(50);
        store::ChangeFeed feed(m_database->url(), options);
        feed.start();
        QTRY_COMPARE_WITH_TIMEOUT(feed.state(), store::ChangeFeed::State::Live, 10000);

        QList<qint64> reloadStarts;
        QElapsedTimer clock;
        clock.start();
        DashboardPage page;
        connect(page.loader(), &models::StatisticsLoader::loadingChanged, this, [&](bool loading) {
            if (loading)
                reloadStarts << clock.elapsed();
        });
        open(page, m_database->url(), &feed);
        auto* started = seriesNamed<QLineSeries>(page.chart(Chart::SessionsOverTime), QStringLiteral("Started"));
        QCOMPARE(total(started), qint64(std::size(sessions)));

        // Another connection writes: the charts follow, no sooner than two seconds after the last reload.
        addSession(QStringLiteral("s09"), at("2025-10-18T10:03:00.000Z"), 5);
        addMessage(QStringLiteral("s09"), QStringLiteral("user"), at("2025-10-18T10:03:01.000Z"));
        QTRY_COMPARE_WITH_TIMEOUT(total(started), qint64(std::size(sessions)) + 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(page.loader()->messagesByRoleModel()->total(),
            count(QStringLiteral("SELECT COUNT(*) FROM conversation_messages")), 10000);
        QVERIFY(reloadStarts.size() >= 2);
        for (qsizetype index = 1; index < reloadStarts.size(); ++index)
            QVERIFY2(reloadStarts.at(index) - reloadStarts.at(index - 1) >= 1990,
                qPrintable(
                    QStringLiteral("reloads %1 ms apart").arg(reloadStarts.at(index) - reloadStarts.at(index - 1))));
        QTRY_COMPARE_WITH_TIMEOUT(page.statusText().section(u'·', 1).trimmed(), QStringLiteral("9 session(s)"), 10000);

        // Hidden, the page does not reload; shown again, it catches up.
        page.hide();
        const qsizetype reloadsBefore = reloadStarts.size();
        QSignalSpy changed(&feed, &store::ChangeFeed::changed);
        addSession(QStringLiteral("s10"), at("2025-10-18T10:03:30.000Z"), 5);
        QVERIFY(changed.wait(10000));
        QVERIFY(!page.loader()->isLoading());
        QCOMPARE(reloadStarts.size(), reloadsBefore);
        page.show();
        QTRY_COMPARE_WITH_TIMEOUT(total(started), qint64(std::size(sessions)) + 2, 10000);

        // Not live: changes wait until Live is on again.
        page.setLive(false);
        QTRY_VERIFY_WITH_TIMEOUT(!page.loader()->isLoading(), 10000);
        const qsizetype reloadsNotLive = reloadStarts.size();
        changed.clear();
        addSession(QStringLiteral("s11"), at("2025-10-18T10:03:40.000Z"), 5);
        QVERIFY(changed.wait(10000));
        QCOMPARE(reloadStarts.size(), reloadsNotLive);
        page.setLive(true);
        QTRY_COMPARE_WITH_TIMEOUT(total(started), qint64(std::size(sessions)) + 3, 10000);
    }

    void badDatabaseShowsTheError()
    {
        VOXTRACK_TEST_DATABASE(other);
        QVERIFY(other->connect()); // exists, but has no conversation tables
        DashboardPage page;
        QSignalSpy status(&page, &DashboardPage::statusMessage);
        open(page, other->url());
        QCOMPARE(status.size(), 1);
        const QString message = status.constFirst().constFirst().toString();
        QVERIFY(!message.isEmpty());
        QVERIFY2(message.endsWith(u'.'), qPrintable(message));
        QCOMPARE(page.statusText(), message);
        for (Chart which : {Chart::SessionsOverTime, Chart::Durations, Chart::MessagesByRole, Chart::ReplyLatency})
            QCOMPARE(emptyText(page.chart(which)), QStringLiteral("No statistics"));
        // It still works afterwards.
        QSignalSpy reloaded(&page, &DashboardPage::reloaded);
        page.setDatabase(m_database->url(), nullptr);
        QVERIFY(reloaded.wait(10000));
        QVERIFY(page.statusText().startsWith(QStringLiteral("Updated ")));
    }
};

QTEST_MAIN(TestDashboardPage)
#include "tst_dashboardpage.moc"
