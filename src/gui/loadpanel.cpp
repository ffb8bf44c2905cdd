// SPDX-License-Identifier: MIT
#include "gui/loadpanel.h"
#include "ui_loadpanel.h"

#include "client/loadrunner.h"
#include "gui/severitystyle.h"

#include <QChart>
#include <QChartView>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLineSeries>
#include <QLocale>
#include <QSettings>
#include <QStyle>
#include <QTextDocument>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace voxtrack::gui {

namespace {

const auto builtInDirectory = QLatin1String(":/voxtrack/scenarios");
const auto defaultScenario = QLatin1String(":/voxtrack/scenarios/tesla.json");
const auto directoryKey = QLatin1String("LoadPanel/scenarioDirectory");
constexpr int pollMs = 250; // four times a second
constexpr double chartSpanSeconds = 300; // the charts show the last five minutes
constexpr int summaryFindingLimit = 5;

/// Elapsed time as m:ss, or h:mm:ss from an hour on.
QString elapsedText(double seconds)
{
    const auto total = qint64(seconds);
    const qint64 hours = total / 3600;
    const qint64 minutes = (total / 60) % 60;
    const qint64 rest = total % 60;
    if (hours > 0)
        return QStringLiteral("%1:%2:%3").arg(hours).arg(minutes, 2, 10, QChar(u'0')).arg(rest, 2, 10, QChar(u'0'));
    return QStringLiteral("%1:%2").arg(minutes).arg(rest, 2, 10, QChar(u'0'));
}

QString millisecondsText(double ms)
{
    return LoadPanel::tr("%1 ms").arg(ms, 0, 'f', ms < 10 ? 2 : 1);
}

QString numberText(double value)
{
    return QLocale().toString(value, 'g', 6);
}

/// The end of a chart's value axis: a little above the highest value, never below floor.
double axisTop(const QList<QList<QPointF>*>& series, double floor)
{
    double top = 0;
    for (const QList<QPointF>* points : series) {
        for (const QPointF& point : *points)
            top = std::max(top, point.y());
    }
    return std::max(floor, top * 1.15);
}

} // namespace

LoadPanel::LoadPanel(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::LoadPanel>())
{
    ui->setupUi(this);

    ui->sessionsSpin->setRange(1, client::Scenario::maxSessions);
    ui->concurrencySpin->setRange(1, client::Scenario::maxConcurrency);
    ui->rateSpin->setRange(0, client::Scenario::maxArrivalPerSecond);
    ui->rateSpin->setSingleStep(0.5);
    // A scenario may not have more sessions open at once than it has sessions.
    connect(ui->sessionsSpin, &QSpinBox::valueChanged, this, [this](int sessions) {
        ui->concurrencySpin->setMaximum(std::min(sessions, client::Scenario::maxConcurrency));
    });

    ui->runButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    ui->stopButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Period));
    ui->runButton->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    ui->stopButton->setIcon(style()->standardIcon(QStyle::SP_MediaStop));
    connect(ui->runButton, &QPushButton::clicked, this, &LoadPanel::start);
    connect(ui->stopButton, &QPushButton::clicked, this, &LoadPanel::stop);
    connect(ui->openButton, &QPushButton::clicked, this, &LoadPanel::openScenarioFile);
    connect(ui->scenarioCombo, &QComboBox::currentIndexChanged, this, &LoadPanel::onScenarioChosen);

    QPalette errorPalette = ui->scenarioErrorLabel->palette();
    errorPalette.setColor(
        QPalette::WindowText, severityColor(store::CheckResult::Status::Failed, store::Severity::Error, errorPalette));
    ui->scenarioErrorLabel->setPalette(errorPalette);
    ui->scenarioErrorLabel->hide();
    QPalette hintPalette = ui->serverHintLabel->palette();
    hintPalette.setColor(QPalette::WindowText, hintPalette.color(QPalette::Disabled, QPalette::WindowText));
    ui->serverHintLabel->setPalette(hintPalette);

    // Each chart says what it shows in its legend, which leaves the plots more room than titles.
    m_rateChart = makeChart(tr("msg/s"));
    m_rateSeries = new QLineSeries(m_rateChart.chart);
    m_rateSeries->setName(tr("messages sent per second"));
    m_latencyChart = makeChart(tr("ms"));
    m_p50Series = new QLineSeries(m_latencyChart.chart);
    m_p50Series->setName(tr("reply p50"));
    m_p95Series = new QLineSeries(m_latencyChart.chart);
    m_p95Series->setName(tr("reply p95"));
    m_p99Series = new QLineSeries(m_latencyChart.chart);
    m_p99Series->setName(tr("reply p99"));
    const std::pair<const Chart*, QLineSeries*> attached[] = {{&m_rateChart, m_rateSeries},
        {&m_latencyChart, m_p50Series}, {&m_latencyChart, m_p95Series}, {&m_latencyChart, m_p99Series}};
    for (const auto& [chart, series] : attached) {
        chart->chart->addSeries(series);
        series->attachAxis(chart->x);
        series->attachAxis(chart->y);
    }
    clearCharts();
    ui->splitter->setStretchFactor(0, 3);
    ui->splitter->setStretchFactor(1, 1);

    ui->progressLabel->hide(); // until a run starts
    ui->progressBar->setFormat(tr("No run yet"));
    ui->progressBar->setValue(0);

    m_poll.setInterval(pollMs);
    connect(&m_poll, &QTimer::timeout, this, &LoadPanel::poll);

    addBuiltInScenarios();
    updateControls();
}

LoadPanel::~LoadPanel()
{
    m_poll.stop();
    if (m_runner) {
        disconnect(m_runner.get(), nullptr, this, nullptr);
        m_runner.reset(); // drops the open connections in their threads
    }
}

LoadPanel::Chart LoadPanel::makeChart(const QString& yTitle)
{
    Chart result;
    result.chart = new QChart;
    result.chart->setAnimationOptions(QChart::NoAnimation);
    result.chart->setMargins(QMargins(2, 2, 2, 2));
    result.chart->setBackgroundRoundness(0);
    result.chart->legend()->setAlignment(Qt::AlignTop);
    result.x = new QValueAxis(result.chart);
    result.x->setLabelFormat(tr("%.0f s", "seconds since the start of the run on a chart's time axis"));
    result.x->setTickType(QValueAxis::TicksDynamic);
    result.x->setTickAnchor(0);
    result.y = new QValueAxis(result.chart);
    result.y->setTitleText(yTitle);
    result.y->setLabelFormat(QStringLiteral("%g"));
    // Three labels fit a short chart; more are elided to "…".
    result.y->setTickCount(3);
    result.chart->addAxis(result.x, Qt::AlignBottom);
    result.chart->addAxis(result.y, Qt::AlignLeft);
    auto* view = new QChartView(result.chart, ui->chartsArea);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(150);
    ui->chartsLayout->addWidget(view);
    return result;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

void LoadPanel::addBuiltInScenarios()
{
    const QStringList files = QDir(builtInDirectory).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    const QSignalBlocker blocker(ui->scenarioCombo);
    for (const QString& file : files) {
        const QString path = builtInDirectory + u'/' + file;
        const auto scenario = client::Scenario::load(path);
        if (!scenario)
            continue; // tests/client checks every built-in file
        ui->scenarioCombo->addItem(scenario->name, path);
        ui->scenarioCombo->setItemData(ui->scenarioCombo->count() - 1, scenario->description, Qt::ToolTipRole);
    }
    if (ui->scenarioCombo->findData(QString(defaultScenario)) >= 0)
        selectScenario(defaultScenario);
    else if (ui->scenarioCombo->count() > 0)
        selectScenario(ui->scenarioCombo->itemData(0).toString());
}

bool LoadPanel::selectScenario(const QString& path)
{
    auto loaded = client::Scenario::load(path);
    int index = ui->scenarioCombo->findData(path);
    {
        const QSignalBlocker blocker(ui->scenarioCombo);
        if (index < 0) {
            ui->scenarioCombo->addItem(QString(), path);
            index = ui->scenarioCombo->count() - 1;
        }
        if (!path.startsWith(u':')) {
            const QString name = loaded ? loaded->name : QFileInfo(path).completeBaseName();
            ui->scenarioCombo->setItemText(index, tr("%1 (%2)").arg(name, QFileInfo(path).fileName()));
        }
        if (loaded) {
            const QString tip = loaded->description.isEmpty() ? path : loaded->description;
            ui->scenarioCombo->setItemData(index, tip, Qt::ToolTipRole);
        }
        ui->scenarioCombo->setCurrentIndex(index);
    }
    m_scenarioPath = path;
    if (!loaded) {
        m_scenario.reset();
        showScenarioError(loaded.error().message);
        Q_EMIT statusMessage(loaded.error().message);
        updateControls();
        return false;
    }
    m_scenario = std::move(*loaded);
    showScenarioError(QString());
    fillOverrides(*m_scenario);
    updateControls();
    return true;
}

QString LoadPanel::scenarioError() const
{
    return ui->scenarioErrorLabel->isHidden() ? QString() : ui->scenarioErrorLabel->text();
}

void LoadPanel::onScenarioChosen(int index)
{
    if (index >= 0)
        selectScenario(ui->scenarioCombo->itemData(index).toString());
}

void LoadPanel::openScenarioFile()
{
    QSettings settings(QStringLiteral("voxtrack"), QStringLiteral("voxtrack"));
    const QString directory = settings.value(directoryKey, QDir::homePath()).toString();
    const QString file
        = QFileDialog::getOpenFileName(this, tr("Open a Scenario"), directory, tr("Scenarios (*.json);;All files (*)"));
    if (file.isEmpty())
        return;
    settings.setValue(directoryKey, QFileInfo(file).absolutePath());
    selectScenario(file);
}

void LoadPanel::fillOverrides(const client::Scenario& scenario)
{
    ui->sessionsSpin->setValue(scenario.sessions);
    ui->concurrencySpin->setValue(scenario.concurrency);
    ui->rateSpin->setValue(scenario.arrivalPerSecond);
}

void LoadPanel::showScenarioError(const QString& message)
{
    ui->scenarioErrorLabel->setText(message);
    ui->scenarioErrorLabel->setVisible(!message.isEmpty());
}

void LoadPanel::setSessions(int n)
{
    ui->sessionsSpin->setValue(n);
}

void LoadPanel::setConcurrency(int n)
{
    ui->concurrencySpin->setValue(n);
}

void LoadPanel::setArrivalRate(double perSecond)
{
    ui->rateSpin->setValue(perSecond);
}

void LoadPanel::setVerifyDatabase(bool verify)
{
    ui->verifyCheck->setChecked(verify && m_database.has_value());
}

void LoadPanel::setServerUrl(const QUrl& conversationUrl)
{
    m_serverUrl = conversationUrl;
    updateControls();
}

void LoadPanel::setDatabase(const std::optional<DatabaseUrl>& url)
{
    m_database = url;
    if (!m_database)
        ui->verifyCheck->setChecked(false);
    updateControls();
}

void LoadPanel::updateControls()
{
    const bool running = isRunning();
    ui->scenarioCombo->setEnabled(!running);
    ui->openButton->setEnabled(!running);
    ui->sessionsSpin->setEnabled(!running);
    ui->concurrencySpin->setEnabled(!running);
    ui->rateSpin->setEnabled(!running);
    ui->verifyCheck->setEnabled(!running && m_database.has_value());
    ui->verifyCheck->setToolTip(m_database
            ? tr("After each session, compare what it said with the database")
            : tr("Choose a database in the connection bar to compare each session with it"));

    ui->runButton->setEnabled(!running && m_scenario && !m_serverUrl.isEmpty());
    ui->runButton->setToolTip(tr("Run the scenario against the server (%1)")
                                  .arg(ui->runButton->shortcut().toString(QKeySequence::NativeText)));
    ui->stopButton->setEnabled(running && m_stops < 2);
    const bool stopping = running && m_stops > 0;
    ui->stopButton->setText(stopping ? tr("Stop now") : tr("Stop"));
    ui->stopButton->setToolTip(
        (!stopping ? tr("Start no more sessions; open ones finish the turn in flight and end (%1)")
                   : tr("Drop the open connections now (%1)"))
            .arg(ui->stopButton->shortcut().toString(QKeySequence::NativeText)));

    QString hint;
    if (!running && m_serverUrl.isEmpty())
        hint = tr("Connect to a server first.");
    else if (!running && !m_scenario)
        hint = tr("Choose a scenario that loads.");
    ui->serverHintLabel->setText(hint);
}

// ---------------------------------------------------------------------------------------------
// The run

bool LoadPanel::isRunning() const
{
    return m_runner && !m_runner->isFinished();
}

void LoadPanel::start()
{
    if (isRunning() || !m_scenario || m_serverUrl.isEmpty())
        return;
    // A file is read again, so that what was changed in it since it was chosen counts.
    if (!m_scenarioPath.startsWith(u':')) {
        auto reloaded = client::Scenario::load(m_scenarioPath);
        if (!reloaded) {
            m_scenario.reset();
            showScenarioError(reloaded.error().message);
            Q_EMIT statusMessage(reloaded.error().message);
            updateControls();
            return;
        }
        m_scenario = std::move(*reloaded);
    }

    client::Scenario scenario = *m_scenario;
    scenario.sessions = ui->sessionsSpin->value();
    scenario.concurrency = std::min(ui->concurrencySpin->value(), scenario.sessions);
    scenario.arrivalPerSecond = ui->rateSpin->value();
    client::RunOptions options;
    options.url = m_serverUrl;
    options.keepTurns = false;
    if (ui->verifyCheck->isChecked() && m_database)
        options.verifyDatabase = *m_database;

    if (m_runner) {
        disconnect(m_runner.get(), nullptr, this, nullptr);
        m_runner.reset();
    }
    auto runner = std::make_unique<client::LoadRunner>(std::move(scenario), std::move(options));
    connect(runner.get(), &client::LoadRunner::finished, this, &LoadPanel::onFinished);
    const Status started = runner->start();
    if (!started.isNull()) {
        disconnect(runner.get(), nullptr, this, nullptr);
        const QString message = tr("The run could not start: %1").arg(started.message);
        ui->summaryView->setPlainText(message);
        Q_EMIT statusMessage(message);
        updateControls();
        return;
    }
    m_runner = std::move(runner);
    m_stops = 0;
    m_lastWindowEnd = 0;
    clearCharts();
    ui->summaryView->clear();
    ui->progressBar->setMaximum(std::max(1, ui->sessionsSpin->value()));
    ui->progressBar->setValue(0);
    ui->progressBar->setFormat(tr("%v / %m sessions"));
    ui->progressLabel->show();
    updateControls();
    m_poll.start();
    poll();
    Q_EMIT runStarted();
    Q_EMIT statusMessage(
        tr("Running %1 with %n session(s).", nullptr, ui->sessionsSpin->value()).arg(ui->scenarioCombo->currentText()));
}

void LoadPanel::stop()
{
    if (!isRunning() || m_stops >= 2)
        return;
    ++m_stops;
    Q_EMIT statusMessage(m_stops == 1 ? tr("Stopping: open sessions finish the turn in flight and end.")
                                      : tr("Stopping now: the open connections are dropped."));
    updateControls();
    m_runner->stop(); // may finish the run at once
}

void LoadPanel::poll()
{
    if (!m_runner)
        return;
    const client::RunProgress progress = m_runner->progress();
    showProgress(progress);
    addChartPoints(progress);
}

void LoadPanel::onFinished()
{
    m_poll.stop();
    poll(); // the last, shorter window
    showSummary();
    updateControls();
    Q_EMIT runFinished();
    const client::RunReport& report = m_runner->report();
    if (m_runner->fatalError())
        Q_EMIT statusMessage(m_runner->fatalError()->message);
    else
        Q_EMIT statusMessage(tr("The run is over: %1 of %2 session(s) completed, %3 failed.")
                                 .arg(report.sessionsCompleted)
                                 .arg(report.sessionsPlanned)
                                 .arg(report.sessionsFailed));
}

void LoadPanel::showProgress(const client::RunProgress& p)
{
    ui->progressBar->setMaximum(std::max(1, p.planned));
    ui->progressBar->setValue(std::min(p.finished, std::max(1, p.planned)));
    QStringList parts;
    parts << elapsedText(p.elapsedSeconds);
    parts << tr("%1 of %2 sessions done").arg(QLocale().toString(p.finished), QLocale().toString(p.planned));
    parts << tr("%1 open").arg(p.open);
    parts << tr("%1 msg/s").arg(p.messagesPerSecond, 0, 'f', p.messagesPerSecond < 10 ? 1 : 0);
    parts << (p.replyP95Ms > 0 ? tr("reply p95 %1").arg(millisecondsText(p.replyP95Ms)) : tr("reply p95 –"));
    parts << tr("%n error(s)", nullptr, int(std::min<qint64>(p.errors, std::numeric_limits<int>::max())));
    if (p.verifying > 0)
        parts << tr("verifying %1").arg(p.verifying);
    if (p.stopping && isRunning())
        parts << tr("stopping…");
    // A narrow panel wraps the line between its parts, never inside one.
    for (QString& part : parts)
        part.replace(u' ', QChar(0x00a0));
    ui->progressLabel->setText(parts.join(QStringLiteral(" · ")));
}

// ---------------------------------------------------------------------------------------------
// The charts

void LoadPanel::append(QLineSeries* series, QList<QPointF>& points, QPointF point)
{
    points.append(point);
    const double oldest = point.x() - chartSpanSeconds;
    qsizetype drop = 0;
    while (drop < points.size() && (points.at(drop).x() < oldest || points.size() - drop > maxChartPoints))
        ++drop;
    points.remove(0, drop);
    series->replace(points);
}

void LoadPanel::addChartPoints(const client::RunProgress& p)
{
    if (p.windowEndSeconds <= m_lastWindowEnd)
        return;
    m_lastWindowEnd = p.windowEndSeconds;
    const double x = p.windowEndSeconds;
    append(m_rateSeries, m_ratePoints, {x, p.messagesPerSecond});
    if (p.windowReplies > 0) {
        append(m_p50Series, m_p50Points, {x, p.windowReplyP50Ms});
        append(m_p95Series, m_p95Points, {x, p.windowReplyP95Ms});
        append(m_p99Series, m_p99Points, {x, p.windowReplyP99Ms});
    }
    rescale(m_rateChart, x, axisTop({&m_ratePoints}, 1));
    rescale(m_latencyChart, x, axisTop({&m_p50Points, &m_p95Points, &m_p99Points}, 1));
}

void LoadPanel::rescale(const Chart& chart, double now, double yMax)
{
    // The time axis grows with the run until it shows five minutes, then slides.
    const double right = std::max(30.0, std::ceil(now / 10.0) * 10.0);
    const double left = std::max(0.0, right - chartSpanSeconds);
    chart.x->setRange(left, right);
    // About six ticks a chart, at round numbers of seconds.
    const double span = right - left;
    double tick = 300;
    for (const double candidate : {5.0, 10.0, 15.0, 30.0, 60.0, 120.0}) {
        if (span / candidate <= 6.0) {
            tick = candidate;
            break;
        }
    }
    chart.x->setTickInterval(tick);
    chart.y->setRange(0, yMax);
    chart.y->applyNiceNumbers();
    chart.y->setTickCount(3);
}

void LoadPanel::clearCharts()
{
    for (auto* points : {&m_ratePoints, &m_p50Points, &m_p95Points, &m_p99Points})
        points->clear();
    for (QLineSeries* series : {m_rateSeries, m_p50Series, m_p95Series, m_p99Series})
        series->clear();
    rescale(m_rateChart, 0, 10);
    rescale(m_latencyChart, 0, 10);
}

// ---------------------------------------------------------------------------------------------
// The summary

void LoadPanel::showSummary()
{
    const client::RunReport& report = m_runner->report();
    const QPalette& colours = palette();
    const QString failColour
        = severityColor(store::CheckResult::Status::Failed, store::Severity::Error, colours).name();
    const QString passColour
        = severityColor(store::CheckResult::Status::Passed, store::Severity::Error, colours).name();
    const auto coloured = [](const QString& colour, const QString& text) {
        return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(colour, text);
    };

    QString html;
    if (const auto& fatal = m_runner->fatalError()) {
        html += QStringLiteral("<p><b>%1</b></p>")
                    .arg(coloured(
                        failColour, tr("The run could not take place: %1").arg(fatal->message.toHtmlEscaped())));
    } else {
        QString verdict = report.passed() ? coloured(passColour, tr("Passed"))
                                          : coloured(failColour,
                                              tr("Failed: %1 threshold(s) failed, %2 finding(s)")
                                                  .arg(report.failedThresholds())
                                                  .arg(report.findings.size()));
        if (report.interrupted)
            verdict += QStringLiteral(" ") + tr("(stopped early)");
        html += QStringLiteral("<p><b>%1</b></p>").arg(verdict);
    }

    const auto row = [](const QString& name, const QString& value) {
        return QStringLiteral("<tr><td style=\"padding-right:12px\"><b>%1</b></td><td>%2</td></tr>").arg(name, value);
    };
    html += QStringLiteral("<table cellspacing=\"2\">");
    html += row(tr("Sessions"),
        tr("%1 completed, %2 failed, of %3 planned (%4 started)")
            .arg(report.sessionsCompleted)
            .arg(report.sessionsFailed)
            .arg(report.sessionsPlanned)
            .arg(report.sessionsStarted));
    html += row(tr("Messages"),
        tr("%1 sent, %2 acknowledged, %3 persisted")
            .arg(report.messagesSent)
            .arg(report.messagesAcked)
            .arg(report.messagesPersisted));
    html += row(tr("Throughput"),
        tr("%1 messages/s, %2 replies/s over %3 s, at most %4 sessions at once")
            .arg(report.messagesPerSecond(), 0, 'f', 1)
            .arg(report.repliesPerSecond(), 0, 'f', 1)
            .arg(report.durationSeconds, 0, 'f', 1)
            .arg(report.peakConcurrent));
    if (report.reply.isEmpty()) {
        html += row(tr("Reply latency"), tr("no replies"));
    } else {
        html += row(tr("Reply latency"),
            tr("p50 %1, p95 %2, p99 %3")
                .arg(millisecondsText(double(report.reply.percentile(0.50)) / 1000.0),
                    millisecondsText(double(report.reply.percentile(0.95)) / 1000.0),
                    millisecondsText(double(report.reply.percentile(0.99)) / 1000.0)));
    }

    QStringList thresholds;
    for (const client::Threshold& threshold : report.thresholds) {
        const QString line
            = (threshold.lowerIsBetter ? tr("%1: %2 (at most %3)") : tr("%1: %2 (at least %3)"))
                  .arg(threshold.name.toHtmlEscaped(), numberText(threshold.actual), numberText(threshold.limit));
        thresholds << (threshold.passed() ? coloured(passColour, tr("passed")) : coloured(failColour, tr("failed")))
                + QStringLiteral(" ") + line;
    }
    if (!thresholds.isEmpty())
        html += row(tr("Thresholds"), thresholds.join(QStringLiteral("<br>")));

    if (!report.verified) {
        html += row(tr("Verification"), tr("not run"));
    } else if (report.findings.isEmpty()) {
        html += row(tr("Verification"), coloured(passColour, tr("0 findings: the database matches the conversations")));
    } else {
        QStringList lines;
        lines << coloured(failColour, tr("%n finding(s)", nullptr, int(report.findings.size())));
        for (qsizetype i = 0; i < std::min<qsizetype>(report.findings.size(), summaryFindingLimit); ++i) {
            const client::Finding& finding = report.findings.at(i);
            lines << QStringLiteral("%1 %2: %3")
                         .arg(finding.check.toHtmlEscaped(), finding.sessionId.toHtmlEscaped(),
                             finding.message.toHtmlEscaped());
        }
        if (report.findings.size() > summaryFindingLimit)
            lines << tr("… and %1 more").arg(report.findings.size() - summaryFindingLimit);
        html += row(tr("Verification"), lines.join(QStringLiteral("<br>")));
    }

    if (!report.errorsByCode.isEmpty()) {
        QStringList errors;
        for (auto it = report.errorsByCode.cbegin(); it != report.errorsByCode.cend(); ++it)
            errors << QStringLiteral("%1: %2").arg(it.key().toHtmlEscaped()).arg(it.value());
        html += row(tr("Errors"), errors.join(QStringLiteral("<br>")));
    }
    html += QStringLiteral("</table>");
    ui->summaryView->setHtml(html);

    // The summary gets the room it needs, up to half of what the charts and it share.
    const int total = ui->splitter->height();
    const int wanted = int(ui->summaryView->document()->size().height()) + 2 * ui->summaryView->frameWidth() + 8;
    const int summaryHeight = std::min(wanted, total / 2);
    if (summaryHeight > ui->splitter->sizes().value(1))
        ui->splitter->setSizes({total - summaryHeight, summaryHeight});
}

} // namespace voxtrack::gui
