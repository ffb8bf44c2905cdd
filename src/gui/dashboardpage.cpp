// SPDX-License-Identifier: MIT
#include "gui/dashboardpage.h"
#include "ui_dashboardpage.h"

#include "gui/severitystyle.h"
#include "models/chartvalueproxy.h"
#include "models/statisticsmodels.h"
#include "store/changefeed.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChartView>
#include <QDateTimeAxis>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsSimpleTextItem>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QMenu>
#include <QPainter>
#include <QPen>
#include <QPieSeries>
#include <QPieSlice>
#include <QResizeEvent>
#include <QShortcut>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBarModelMapper>
#include <QVPieModelMapper>
#include <QVXYModelMapper>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

namespace voxtrack::gui {

using models::HistogramModel;
using models::LatencyPercentilesModel;
using models::MessagesByRoleModel;
using models::StatisticsTableModel;
using models::TimeSeriesModel;

namespace {

constexpr int chartCount = 4;

int cellIndex(DashboardPage::Chart which)
{
    return int(which);
}

/// A count axis from 0 with whole-number ticks and room above the highest bar for its label.
void setCountRange(QValueAxis* axis, double highest)
{
    axis->setLabelFormat(QStringLiteral("%d"));
    if (highest <= 4) {
        const int top = std::max(1, int(std::ceil(highest)));
        axis->setRange(0, top + (highest > 0 ? 1 : 0));
        axis->setTickCount(top + (highest > 0 ? 2 : 1));
        return;
    }
    axis->setTickCount(5);
    axis->setRange(0, highest * 1.15);
    axis->applyNiceNumbers();
}

/// Milliseconds on a latency axis, whole ones.
void setLatencyRange(QValueAxis* axis, double highest)
{
    axis->setLabelFormat(QStringLiteral("%d"));
    axis->setTickCount(5);
    axis->setRange(0, std::max(1.0, highest * 1.15));
    axis->applyNiceNumbers();
}

/// The labels of a model's column, as people read them, one per row, for a category axis: axis
/// labels are rich text, where "< 10 s" would be taken for a tag.
QStringList categoryLabels(const QAbstractItemModel* model, int column)
{
    QStringList labels;
    for (int row = 0; row < model->rowCount(); ++row)
        labels << model->index(row, column).data().toString().toHtmlEscaped();
    return labels;
}

double highestCount(const QAbstractItemModel* model, int column)
{
    double highest = 0;
    for (int row = 0; row < model->rowCount(); ++row)
        highest = std::max(highest, model->index(row, column).data(StatisticsTableModel::ValueRole).toDouble());
    return highest;
}

QString bucketText(store::Bucket bucket)
{
    switch (bucket) {
    case store::Bucket::Minute:
        return DashboardPage::tr("per minute");
    case store::Bucket::Hour:
        return DashboardPage::tr("per hour");
    case store::Bucket::Day:
        return DashboardPage::tr("per day");
    case store::Bucket::Week:
        return DashboardPage::tr("per week");
    case store::Bucket::Auto:
        break;
    }
    return {};
}

} // namespace

DashboardPage::DashboardPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::DashboardPage>())
    , m_loader(new models::StatisticsLoader(this))
{
    ui->setupUi(this);
    ui->rangeCombo->setCurrentIndex(int(Range::AllTime));

    setUpCell(Chart::SessionsOverTime, ui->sessionsView);
    setUpCell(Chart::Durations, ui->durationsView);
    setUpCell(Chart::MessagesByRole, ui->rolesView);
    setUpCell(Chart::ReplyLatency, ui->latencyView);
    setUpSessionsChart();
    setUpDurationsChart();
    setUpRolesChart();
    setUpLatencyChart();
    applyTheme();
    updateCharts();

    // F5 while the page is shown: a window shortcut of a hidden widget does not fire.
    auto* refresh = new QShortcut(QKeySequence(Qt::Key_F5), this);
    connect(refresh, &QShortcut::activated, this, &DashboardPage::reload);
    connect(ui->refreshButton, &QPushButton::clicked, this, &DashboardPage::reload);
    connect(ui->rangeCombo, &QComboBox::currentIndexChanged, this, &DashboardPage::reload);
    connect(ui->bucketCombo, &QComboBox::currentIndexChanged, this, &DashboardPage::reload);
    connect(ui->liveCheck, &QCheckBox::toggled, this, [this](bool live) {
        if (!live)
            m_liveDelay.stop();
        else if (m_changedWhileHidden)
            databaseChanged(); // catch up with what was written while Live was off
    });

    m_liveDelay.setSingleShot(true);
    m_liveDelay.setTimerType(Qt::PreciseTimer);
    connect(&m_liveDelay, &QTimer::timeout, this, [this] {
        if (isVisible() && isLive())
            reload();
        else
            m_changedWhileHidden = true;
    });

    connect(m_loader, &models::StatisticsLoader::loaded, this, &DashboardPage::loaded);
    connect(m_loader, &models::StatisticsLoader::failed, this, &DashboardPage::failed);
    connect(m_loader, &models::StatisticsLoader::loadingChanged, this, [this](bool loading) {
        if (loading && !m_loader->sessionsPerBucketModel()->hasResults())
            ui->statusLabel->setText(tr("Loading…"));
    });
}

DashboardPage::~DashboardPage()
{
    setUpLiveFeed(nullptr);
}

void DashboardPage::setDatabase(const voxtrack::DatabaseUrl& url, store::ChangeFeed* feed)
{
    m_url = url;
    m_loader->setDatabaseUrl(url.toString());
    setUpLiveFeed(feed);
    m_changedWhileHidden = false;
    reload();
}

QChart* DashboardPage::chart(Chart which) const
{
    return m_cells.at(cellIndex(which)).view->chart();
}

bool DashboardPage::exportChart(Chart which, const QString& file)
{
    const ChartCell& cell = m_cells.at(cellIndex(which));
    QChart* shown = cell.view->chart();
    if (shown->size().isEmpty())
        shown->resize(cell.view->viewport()->size());
    const QSize size = shown->size().toSize();
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(palette().color(QPalette::Base));
    {
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::TextAntialiasing);
        cell.view->scene()->render(&painter, QRectF(QPointF(), QSizeF(size)), shown->sceneBoundingRect());
    }
    if (!image.save(file, "PNG")) {
        Q_EMIT statusMessage(tr("Could not write the chart to %1: choose a folder you can write to and export again.")
                                 .arg(QDir::toNativeSeparators(file)));
        return false;
    }
    Q_EMIT statusMessage(tr("Chart saved to %1.").arg(QDir::toNativeSeparators(file)));
    return true;
}

DashboardPage::Range DashboardPage::range() const
{
    return Range(ui->rangeCombo->currentIndex());
}

void DashboardPage::setRange(Range range)
{
    ui->rangeCombo->setCurrentIndex(int(range));
}

bool DashboardPage::isLive() const
{
    return ui->liveCheck->isChecked();
}

void DashboardPage::setLive(bool live)
{
    ui->liveCheck->setChecked(live);
}

QString DashboardPage::statusText() const
{
    return ui->statusLabel->text();
}

void DashboardPage::reload()
{
    if (!m_url)
        return;
    m_liveDelay.stop();
    m_sinceReload.start();

    const QDateTime now = QDateTime::currentDateTimeUtc();
    QDateTime from;
    switch (range()) {
    case Range::LastHour:
        from = now.addSecs(-3600);
        break;
    case Range::LastDay:
        from = now.addDays(-1);
        break;
    case Range::LastWeek:
        from = now.addDays(-7);
        break;
    case Range::AllTime:
        break;
    }
    m_loader->setRange(from, {});
    static constexpr store::Bucket buckets[] {
        store::Bucket::Auto, store::Bucket::Minute, store::Bucket::Hour, store::Bucket::Day, store::Bucket::Week};
    m_loader->setBucket(buckets[std::clamp(ui->bucketCombo->currentIndex(), 0, 4)]);
    m_finishPending = false;
    m_loader->reload();
}

// Set-up

void DashboardPage::setUpCell(Chart which, QChartView* view)
{
    ChartCell& cell = m_cells.at(cellIndex(which));
    cell.view = view;
    auto* chart = new QChart;
    chart->setBackgroundRoundness(0);
    chart->setMargins(QMargins(6, 6, 6, 6));
    chart->legend()->setAlignment(Qt::AlignBottom);
    view->setChart(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(320, 220);
    view->setFrameShape(QFrame::StyledPanel);

    cell.emptyText = new QGraphicsSimpleTextItem(chart);
    cell.emptyText->setZValue(100);
    cell.emptyText->hide();
    connect(chart, &QChart::plotAreaChanged, this, [this, which] { placeOverlays(which); });

    cell.exportButton = new QToolButton(view);
    cell.exportButton->setObjectName(QStringLiteral("exportButton"));
    cell.exportButton->setText(tr("Export PNG…"));
    cell.exportButton->setToolTip(tr("Save this chart as a PNG image"));
    cell.exportButton->setAutoRaise(true);
    cell.exportButton->setCursor(Qt::ArrowCursor);
    connect(cell.exportButton, &QToolButton::clicked, this, [this, which] { exportWithDialog(which); });

    view->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(view, &QWidget::customContextMenuRequested, this, [this, which, view](const QPoint& position) {
        QMenu menu(this);
        const QAction* exportAction = menu.addAction(tr("Export PNG…"));
        connect(exportAction, &QAction::triggered, this, [this, which] { exportWithDialog(which); });
        menu.exec(view->mapToGlobal(position));
    });
    view->installEventFilter(this);
}

void DashboardPage::setUpSessionsChart()
{
    QChart* chart = this->chart(Chart::SessionsOverTime);
    m_startedSeries = new QLineSeries;
    m_activeSeries = new QLineSeries;
    chart->addSeries(m_startedSeries);
    chart->addSeries(m_activeSeries);
    m_timeAxis = new QDateTimeAxis;
    m_timeAxis->setTickCount(6);
    m_sessionsAxis = new QValueAxis;
    m_sessionsAxis->setTitleText(tr("Sessions"));
    chart->addAxis(m_timeAxis, Qt::AlignBottom);
    chart->addAxis(m_sessionsAxis, Qt::AlignLeft);
    for (QLineSeries* series : {m_startedSeries, m_activeSeries}) {
        series->attachAxis(m_timeAxis);
        series->attachAxis(m_sessionsAxis);
    }

    const std::pair<QLineSeries*, models::TimeSeriesModel*> mapped[] {
        {m_startedSeries, m_loader->sessionsPerBucketModel()},
        {m_activeSeries, m_loader->activeSessionsModel()},
    };
    for (const auto& [series, model] : mapped) {
        auto* mapper = new QVXYModelMapper(this);
        mapper->setXColumn(TimeSeriesModel::StartColumn);
        mapper->setYColumn(TimeSeriesModel::CountColumn);
        mapper->setSeries(series);
        mapper->setModel(new models::ChartValueProxy(model, this));
    }
    m_startedSeries->setName(tr("Started"));
    m_activeSeries->setName(tr("Active"));
}

void DashboardPage::setUpDurationsChart()
{
    QChart* chart = this->chart(Chart::Durations);
    chart->setTitle(tr("Session durations"));
    m_durationSeries = new QBarSeries;
    m_durationSeries->setLabelsVisible(true);
    m_durationSeries->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    m_durationSeries->setBarWidth(0.7);
    chart->addSeries(m_durationSeries);
    m_durationBins = new QBarCategoryAxis;
    m_durationCounts = new QValueAxis;
    m_durationCounts->setTitleText(tr("Ended sessions"));
    chart->addAxis(m_durationBins, Qt::AlignBottom);
    chart->addAxis(m_durationCounts, Qt::AlignLeft);
    m_durationSeries->attachAxis(m_durationBins);
    m_durationSeries->attachAxis(m_durationCounts);
    chart->legend()->hide();

    auto* mapper = new QVBarModelMapper(this);
    mapper->setFirstBarSetColumn(HistogramModel::CountColumn);
    mapper->setLastBarSetColumn(HistogramModel::CountColumn);
    mapper->setSeries(m_durationSeries);
    mapper->setModel(new models::ChartValueProxy(m_loader->durationHistogramModel(), this));
}

void DashboardPage::setUpRolesChart()
{
    QChart* chart = this->chart(Chart::MessagesByRole);
    chart->setTitle(tr("Messages by role"));
    m_roleSeries = new QPieSeries;
    m_roleSeries->setHoleSize(0.45);
    m_roleSeries->setPieSize(0.8);
    chart->addSeries(m_roleSeries);
    chart->legend()->setAlignment(Qt::AlignRight);

    auto* mapper = new QVPieModelMapper(this);
    mapper->setLabelsColumn(MessagesByRoleModel::RoleColumn);
    mapper->setValuesColumn(MessagesByRoleModel::CountColumn);
    mapper->setSeries(m_roleSeries);
    mapper->setModel(new models::ChartValueProxy(m_loader->messagesByRoleModel(), this));
    // Slices come and go with the roles: each new one gets its colour and legend text.
    connect(m_roleSeries, &QPieSeries::added, this, &DashboardPage::updateRolesChart);
}

void DashboardPage::setUpLatencyChart()
{
    QChart* chart = this->chart(Chart::ReplyLatency);
    chart->legend()->hide();

    m_percentileSeries = new QBarSeries;
    m_latencySeries = new QBarSeries;
    m_percentileNames = new QBarCategoryAxis;
    m_percentileMs = new QValueAxis;
    m_percentileMs->setTitleText(tr("Milliseconds"));
    m_latencyBins = new QBarCategoryAxis;
    m_latencyCounts = new QValueAxis;
    m_latencyCounts->setTitleText(tr("Replies"));
    chart->addAxis(m_percentileNames, Qt::AlignBottom);
    chart->addAxis(m_percentileMs, Qt::AlignLeft);
    chart->addAxis(m_latencyBins, Qt::AlignBottom);
    chart->addAxis(m_latencyCounts, Qt::AlignLeft);
    const std::tuple<QBarSeries*, QBarCategoryAxis*, QValueAxis*> parts[] {
        {m_percentileSeries, m_percentileNames, m_percentileMs},
        {m_latencySeries, m_latencyBins, m_latencyCounts},
    };
    for (const auto& [series, categories, values] : parts) {
        series->setLabelsVisible(true);
        series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
        series->setBarWidth(0.6);
        series->setParent(this); // while it is not in the chart
    }
    m_percentileSeries->setLabelsFormat(tr("@value ms"));
    m_percentileSeries->setLabelsPrecision(5);

    auto* percentiles = new QVBarModelMapper(this);
    percentiles->setFirstBarSetColumn(LatencyPercentilesModel::LatencyColumn);
    percentiles->setLastBarSetColumn(LatencyPercentilesModel::LatencyColumn);
    percentiles->setSeries(m_percentileSeries);
    percentiles->setModel(new models::ChartValueProxy(m_loader->latencyPercentilesModel(), this));
    auto* histogram = new QVBarModelMapper(this);
    histogram->setFirstBarSetColumn(HistogramModel::CountColumn);
    histogram->setLastBarSetColumn(HistogramModel::CountColumn);
    histogram->setSeries(m_latencySeries);
    histogram->setModel(new models::ChartValueProxy(m_loader->latencyHistogramModel(), this));

    // One chart, two views of the same replies: the percentiles, or how they spread over the bins.
    m_latencyViewButton = new QToolButton(m_cells.at(cellIndex(Chart::ReplyLatency)).view);
    m_latencyViewButton->setObjectName(QStringLiteral("latencyViewButton"));
    m_latencyViewButton->setCheckable(true);
    m_latencyViewButton->setAutoRaise(true);
    m_latencyViewButton->setCursor(Qt::ArrowCursor);
    m_latencyViewButton->setToolTip(tr("Switch between the latency percentiles and the replies per latency range"));
    connect(m_latencyViewButton, &QToolButton::toggled, this, &DashboardPage::showLatencyHistogram);
    showLatencyHistogram(false);
}

void DashboardPage::setUpLiveFeed(store::ChangeFeed* feed)
{
    for (const QMetaObject::Connection& connection : std::as_const(m_feedConnections))
        disconnect(connection);
    m_feedConnections.clear();
    m_feed = feed;
    if (!feed)
        return;
    m_feedConnections << connect(feed, &store::ChangeFeed::changed, this, &DashboardPage::databaseChanged)
                      << connect(feed, &store::ChangeFeed::resynced, this, &DashboardPage::databaseChanged);
}

// Live

void DashboardPage::databaseChanged()
{
    if (!m_url)
        return;
    if (!isLive() || !isVisible()) {
        m_changedWhileHidden = true;
        return;
    }
    m_changedWhileHidden = false;
    if (m_liveDelay.isActive())
        return; // a reload is already due
    const qint64 interval = liveReloadInterval.count();
    const qint64 since = m_sinceReload.isValid() ? m_sinceReload.elapsed() : std::numeric_limits<qint64>::max();
    if (since >= interval)
        reload();
    else
        m_liveDelay.start(int(interval - since));
}

void DashboardPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    if (m_changedWhileHidden)
        databaseChanged();
}

void DashboardPage::hideEvent(QHideEvent* event)
{
    if (m_liveDelay.isActive()) {
        m_liveDelay.stop();
        m_changedWhileHidden = true;
    }
    QWidget::hideEvent(event);
}

// Results

void DashboardPage::loaded()
{
    m_status = tr(
        "Updated %1 · %Ln session(s)", nullptr, int(std::min<qint64>(sessionCount(), std::numeric_limits<int>::max())))
                   .arg(QLocale().toString(QTime::currentTime(), QStringLiteral("HH:mm:ss")));
    m_statusIsError = false;
    updateCharts();
    finishSoon();
}

void DashboardPage::failed(const Error& error)
{
    m_status = error.message;
    m_statusIsError = true;
    updateCharts();
    Q_EMIT statusMessage(error.message);
    finishSoon();
}

void DashboardPage::finishSoon()
{
    // A run that stops part-way reports loaded(), then failed(): one reloaded() for both.
    if (m_finishPending)
        return;
    m_finishPending = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (!m_finishPending)
                return; // superseded by another reload
            m_finishPending = false;
            ui->statusLabel->setText(m_status);
            QPalette palette = this->palette();
            if (m_statusIsError)
                palette.setColor(QPalette::WindowText, errorColor());
            ui->statusLabel->setPalette(palette);
            ui->statusLabel->setToolTip(m_statusIsError ? m_status : QString());
            Q_EMIT reloaded();
        },
        Qt::QueuedConnection);
}

qint64 DashboardPage::sessionCount() const
{
    const store::TimeSeries& series = m_loader->sessionsPerBucketModel()->series();
    qint64 sum = 0;
    for (const store::BucketCount& bucket : series.buckets)
        sum += bucket.count;
    return sum;
}

void DashboardPage::updateCharts()
{
    updateSessionsChart();
    updateDurationsChart();
    updateRolesChart();
    updateLatencyChart();
    styleBars();
}

void DashboardPage::styleBars()
{
    // The mappers create their bar sets anew on every change: the labels' colour is set again.
    const QColor text = palette().color(QPalette::Text);
    for (QBarSeries* series : {m_durationSeries, m_percentileSeries, m_latencySeries}) {
        const QList<QBarSet*> sets = series->barSets();
        for (QBarSet* set : sets)
            set->setLabelColor(text);
    }
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (QBarCategoryAxis* axis : {m_durationBins, m_percentileNames, m_latencyBins}) {
        axis->setLabelsFont(small);
        axis->setTruncateLabels(false);
    }
}

QString DashboardPage::emptyText() const
{
    if (!m_url)
        return tr("No database");
    if (!m_loader->sessionsPerBucketModel()->hasResults())
        return m_statusIsError ? tr("No statistics") : tr("Loading…");
    return range() == Range::AllTime ? tr("No sessions yet") : tr("No sessions in this range");
}

void DashboardPage::updateSessionsChart()
{
    const models::SessionsPerBucketModel* started = m_loader->sessionsPerBucketModel();
    const models::ActiveSessionsModel* active = m_loader->activeSessionsModel();
    const store::TimeSeries& startedSeries = started->series();
    const store::TimeSeries& activeSeries = active->series();

    const QString bucket = bucketText(startedSeries.buckets.isEmpty() ? activeSeries.bucket : startedSeries.bucket);
    const bool empty = startedSeries.buckets.isEmpty() && activeSeries.buckets.isEmpty();
    chart(Chart::SessionsOverTime)
        ->setTitle(empty ? tr("Sessions over time") : tr("Sessions over time, %1").arg(bucket));
    if (empty) {
        setEmptyText(Chart::SessionsOverTime, emptyText());
        return;
    }
    setEmptyText(Chart::SessionsOverTime, {});

    QDateTime first;
    QDateTime last;
    double highest = 0;
    for (const store::TimeSeries* series : {&startedSeries, &activeSeries}) {
        if (series->buckets.isEmpty())
            continue;
        if (!first.isValid() || series->buckets.constFirst().start < first)
            first = series->buckets.constFirst().start;
        if (!last.isValid() || series->buckets.constLast().start > last)
            last = series->buckets.constLast().start;
        for (const store::BucketCount& count : series->buckets)
            highest = std::max(highest, double(count.count));
    }
    const store::Bucket width = startedSeries.buckets.isEmpty() ? activeSeries.bucket : startedSeries.bucket;
    const qint64 seconds = store::bucketSeconds(width);
    // Half a bucket of room on either side, so the first and last points are not on the border.
    QDateTime from = first.addSecs(-seconds / 2);
    QDateTime to = last.addSecs(seconds / 2);
    if (range() != Range::AllTime) {
        from = std::min(from, m_loader->range().from);
        to = std::max(to, QDateTime::currentDateTimeUtc());
    }
    m_timeAxis->setRange(from.toLocalTime(), to.toLocalTime());
    const bool severalDays = from.toLocalTime().date() != to.toLocalTime().date();
    if (width == store::Bucket::Day || width == store::Bucket::Week)
        m_timeAxis->setFormat(QStringLiteral("MMM d"));
    else
        m_timeAxis->setFormat(severalDays ? QStringLiteral("MMM d HH:mm") : QStringLiteral("HH:mm"));
    m_timeAxis->setTitleText(tr("Local time"));
    setCountRange(m_sessionsAxis, highest);

    const bool fewPoints = std::max(startedSeries.buckets.size(), activeSeries.buckets.size()) <= 60;
    m_startedSeries->setPointsVisible(fewPoints);
    m_activeSeries->setPointsVisible(fewPoints);
}

void DashboardPage::updateDurationsChart()
{
    const models::DurationHistogramModel* model = m_loader->durationHistogramModel();
    if (model->total() == 0) {
        const bool sessions = m_loader->sessionsPerBucketModel()->series().buckets.size() > 0;
        setEmptyText(Chart::Durations, sessions ? tr("No ended sessions yet") : emptyText());
        return;
    }
    setEmptyText(Chart::Durations, {});
    const QStringList bins = categoryLabels(model, HistogramModel::RangeColumn);
    if (m_durationBins->categories() != bins)
        m_durationBins->setCategories(bins);
    setCountRange(m_durationCounts, highestCount(model, HistogramModel::CountColumn));
}

void DashboardPage::updateRolesChart()
{
    const MessagesByRoleModel* model = m_loader->messagesByRoleModel();
    QStringList notAllowed;
    qint64 notAllowedCount = 0;
    const QList<QPieSlice*> slices = m_roleSeries->slices();
    const QList<QLegendMarker*> markers = chart(Chart::MessagesByRole)->legend()->markers(m_roleSeries);
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex role = model->index(row, MessagesByRoleModel::RoleColumn);
        const bool allowed = role.data(MessagesByRoleModel::AllowedRole).toBool();
        const qint64 count
            = model->index(row, MessagesByRoleModel::CountColumn).data(StatisticsTableModel::ValueRole).toLongLong();
        if (!allowed) {
            notAllowed << role.data().toString();
            notAllowedCount += count;
        }
        if (row < slices.size()) {
            QPieSlice* slice = slices.at(row);
            slice->setExploded(!allowed);
            if (!allowed) {
                slice->setBrush(errorColor());
                slice->setPen(QPen(errorColor().darker(130), 1));
            }
        }
        if (row < markers.size()) {
            markers.at(row)->setLabel(
                tr("%1 · %2 (%3)")
                    .arg(role.data().toString(), model->index(row, MessagesByRoleModel::CountColumn).data().toString(),
                        model->index(row, MessagesByRoleModel::ShareColumn).data().toString()));
        }
    }

    if (notAllowed.isEmpty()) {
        ui->roleWarningLabel->hide();
    } else {
        ui->roleWarningLabel->setText(tr("%Ln message(s) have a role the schema does not allow: %1", nullptr,
            int(std::min<qint64>(notAllowedCount, std::numeric_limits<int>::max())))
                                          .arg(notAllowed.join(QStringLiteral(", "))));
        ui->roleWarningLabel->show();
    }

    if (model->rowCount() == 0) {
        const bool sessions = m_loader->sessionsPerBucketModel()->series().buckets.size() > 0;
        setEmptyText(Chart::MessagesByRole, sessions ? tr("No messages yet") : emptyText());
    } else {
        setEmptyText(Chart::MessagesByRole, {});
    }
}

void DashboardPage::updateLatencyChart()
{
    const bool histogram = m_latencyViewButton->isChecked();
    chart(Chart::ReplyLatency)
        ->setTitle(histogram ? tr("Reply latency distribution") : tr("Reply latency percentiles"));
    m_latencyViewButton->setText(histogram ? tr("Show percentiles") : tr("Show distribution"));
    const models::LatencyPercentilesModel* percentiles = m_loader->latencyPercentilesModel();
    const models::LatencyHistogramModel* bins = m_loader->latencyHistogramModel();

    const QStringList names = categoryLabels(percentiles, LatencyPercentilesModel::PercentileColumn);
    if (m_percentileNames->categories() != names)
        m_percentileNames->setCategories(names);
    setLatencyRange(m_percentileMs, highestCount(percentiles, LatencyPercentilesModel::LatencyColumn));
    const QStringList ranges = categoryLabels(bins, HistogramModel::RangeColumn);
    if (m_latencyBins->categories() != ranges)
        m_latencyBins->setCategories(ranges);
    setCountRange(m_latencyCounts, highestCount(bins, HistogramModel::CountColumn));

    if (percentiles->sampleCount() == 0) {
        const bool sessions = m_loader->sessionsPerBucketModel()->series().buckets.size() > 0;
        setEmptyText(Chart::ReplyLatency, sessions ? tr("No agent replies with a latency yet") : emptyText());
    } else {
        setEmptyText(Chart::ReplyLatency, {});
    }
}

void DashboardPage::showLatencyHistogram(bool histogram)
{
    // Bar series of one chart share each category's width: only the series shown is in the chart.
    QChart* chart = this->chart(Chart::ReplyLatency);
    QBarSeries* shown = histogram ? m_latencySeries : m_percentileSeries;
    QBarSeries* hidden = histogram ? m_percentileSeries : m_latencySeries;
    if (chart->series().contains(hidden)) {
        chart->removeSeries(hidden);
        hidden->setParent(this);
    }
    if (!chart->series().contains(shown)) {
        chart->addSeries(shown);
        shown->attachAxis(histogram ? m_latencyBins : m_percentileNames);
        shown->attachAxis(histogram ? m_latencyCounts : m_percentileMs);
    }
    updateLatencyChart();
    styleBars();
}

void DashboardPage::setEmptyText(Chart which, const QString& text)
{
    ChartCell& cell = m_cells.at(cellIndex(which));
    QChart* chart = cell.view->chart();
    const bool empty = !text.isEmpty();
    cell.emptyText->setText(text);
    cell.emptyText->setVisible(empty);
    // The axes of the series shown: none over an empty chart, rather than a grid of nothing.
    const bool latencyHistogram = m_latencyViewButton && m_latencyViewButton->isChecked();
    for (QAbstractAxis* axis : chart->axes()) {
        bool shown = !empty;
        if (which == Chart::ReplyLatency) {
            const bool histogramAxis = axis == m_latencyBins || axis == m_latencyCounts;
            shown = shown && histogramAxis == latencyHistogram;
        }
        axis->setVisible(shown);
    }
    if (which == Chart::SessionsOverTime || which == Chart::MessagesByRole)
        chart->legend()->setVisible(!empty);
    cell.exportButton->setEnabled(true);
    placeOverlays(which);
}

void DashboardPage::placeOverlays(Chart which)
{
    ChartCell& cell = m_cells.at(cellIndex(which));
    if (!cell.view)
        return;
    QChart* chart = cell.view->chart();
    const QRectF text = cell.emptyText->boundingRect();
    const QRectF area = chart->plotArea().isEmpty() ? chart->rect() : chart->plotArea();
    cell.emptyText->setPos(area.center() - QPointF(text.width() / 2, text.height() / 2));

    const QRect viewport = cell.view->rect();
    const QSize button = cell.exportButton->sizeHint();
    cell.exportButton->setGeometry(viewport.right() - button.width() - 6, 6, button.width(), button.height());
    if (which == Chart::ReplyLatency && m_latencyViewButton) {
        const QSize toggle = m_latencyViewButton->sizeHint();
        m_latencyViewButton->setGeometry(6, 6, toggle.width(), toggle.height());
    }
}

bool DashboardPage::eventFilter(QObject* watched, QEvent* event)
{
    if (event->type() == QEvent::Resize) {
        for (int index = 0; index < chartCount; ++index) {
            if (m_cells.at(index).view == watched)
                placeOverlays(Chart(index));
        }
    }
    return QWidget::eventFilter(watched, event);
}

void DashboardPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        applyTheme();
        updateCharts();
    }
}

void DashboardPage::applyTheme()
{
    const QPalette palette = this->palette();
    const bool dark = palette.color(QPalette::Window).lightness() < 128;
    for (ChartCell& cell : m_cells) {
        QChart* chart = cell.view->chart();
        chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
        chart->setBackgroundBrush(palette.color(QPalette::Base));
        chart->setBackgroundRoundness(0);
        chart->setTitleBrush(palette.color(QPalette::Text));
        QFont title = font();
        title.setBold(true);
        chart->setTitleFont(title);
        chart->legend()->setLabelColor(palette.color(QPalette::Text));
        cell.emptyText->setBrush(palette.color(QPalette::Disabled, QPalette::Text));
        QFont empty = font();
        empty.setPointSizeF(empty.pointSizeF() * 1.2);
        cell.emptyText->setFont(empty);
        cell.view->setBackgroundBrush(palette.color(QPalette::Base));
    }
    for (QLineSeries* series : {m_startedSeries, m_activeSeries}) {
        QPen pen = series->pen();
        pen.setWidthF(2);
        series->setPen(pen);
    }
    QPalette warning = ui->roleWarningLabel->palette();
    warning.setColor(QPalette::WindowText, errorColor());
    ui->roleWarningLabel->setPalette(warning);
}

QColor DashboardPage::errorColor() const
{
    return severityColor(store::CheckResult::Status::Failed, store::Severity::Error, palette());
}

void DashboardPage::exportWithDialog(Chart which)
{
    static const char* const names[] {"sessions-over-time", "session-durations", "messages-by-role", "reply-latency"};
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    QString file = QFileDialog::getSaveFileName(this, tr("Export Chart"),
        QDir(folder).filePath(QString::fromLatin1(names[cellIndex(which)]) + QStringLiteral(".png")),
        tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += QStringLiteral(".png");
    exportChart(which, file);
}

} // namespace voxtrack::gui
