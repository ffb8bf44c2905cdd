// SPDX-License-Identifier: MIT
#include "gui/healthpage.h"
#include "ui_healthpage.h"

#include "core/databaseurl.h"
#include "gui/severitystyle.h"
#include "models/doctorreportmodel.h"
#include "models/doctorrunner.h"

#include <QDir>
#include <QHeaderView>
#include <QRegularExpression>
#include <QStyle>
#include <QUrl>

#include <algorithm>

namespace voxtrack::gui {

using models::DoctorReportModel;
using store::CheckResult;

namespace {

/// Without a translation loaded, "%n error(s)" comes back as "1 error(s)": give it English
/// plurals. A translation's own forms contain no "(s)" and pass unchanged.
QString plural(QString text, int n)
{
    return text.replace(QLatin1String("(s)"), n == 1 ? QString() : QStringLiteral("s"));
}

QString html(const QString& text)
{
    return text.toHtmlEscaped();
}

} // namespace

HealthPage::HealthPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::HealthPage>())
    , m_model(new DoctorReportModel(this))
    , m_runner(new models::DoctorRunner(this))
{
    ui->setupUi(this);
    ui->urlEdit->setText(DatabaseUrl::defaultLocation());

    ui->checksView->setModel(m_model);
    ui->checksView->setItemDelegate(new SeverityDelegate(ui->checksView));
    // The finding takes the room; samples and hint are cut short here and shown whole in the
    // details pane and in tooltips.
    QHeaderView* header = ui->checksView->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(DoctorReportModel::SeverityColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(DoctorReportModel::CheckColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(DoctorReportModel::CountColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(DoctorReportModel::FindingColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(DoctorReportModel::SamplesColumn, QHeaderView::Interactive);
    header->setSectionResizeMode(DoctorReportModel::HintColumn, QHeaderView::Interactive);
    header->resizeSection(DoctorReportModel::SamplesColumn, 190);
    header->resizeSection(DoctorReportModel::HintColumn, 170);
    ui->splitter->setStretchFactor(0, 3);
    ui->splitter->setStretchFactor(1, 1);

    connect(ui->runButton, &QPushButton::clicked, this, &HealthPage::runDoctor);
    connect(ui->urlEdit, &QLineEdit::returnPressed, this, &HealthPage::runDoctor);
    connect(ui->checksView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &HealthPage::showDetails);
    ui->detailsView->setOpenLinks(false);
    connect(ui->detailsView, &QTextBrowser::anchorClicked, this, [this](const QUrl& link) {
        if (link.scheme() == u"session")
            Q_EMIT sessionRequested(link.path());
    });
    // Activating a finding opens the first session it names.
    connect(ui->checksView, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        const auto check = index.data(DoctorReportModel::CheckResultRole).value<CheckResult>();
        for (const QString& sample : std::as_const(check.samples)) {
            if (const QString session = sessionOfSample(check.id, sample); !session.isEmpty()) {
                Q_EMIT sessionRequested(session);
                return;
            }
        }
    });
    connect(m_runner, &models::DoctorRunner::started, this, &HealthPage::showRunning);
    connect(m_runner, &models::DoctorRunner::finished, this, &HealthPage::showReport);
    connect(m_runner, &models::DoctorRunner::failed, this, &HealthPage::showError);
}

HealthPage::~HealthPage() = default;

QString HealthPage::databaseUrl() const
{
    return m_database ? m_database->toString() : ui->urlEdit->text().trimmed();
}

void HealthPage::setDatabase(const DatabaseUrl& url)
{
    m_database = url;
    ui->urlLabel->hide();
    ui->urlEdit->hide();
    runDoctor();
}

QString HealthPage::sessionOfSample(const QString& checkId, const QString& sample)
{
    // "17 (assistant, session 5f0c…)", "17 (session 5f0c…)": the message's session.
    static const QRegularExpression inSession(QStringLiteral("[(,] ?session (.+)\\)$"));
    if (const QRegularExpressionMatch match = inSession.match(sample); match.hasMatch())
        return match.captured(1) == u"NULL" ? QString() : match.captured(1);
    // Checks whose samples are session ids, maybe followed by " (what was found)".
    static const QStringList sessionChecks {QStringLiteral("data.ended_but_active"),
        QStringLiteral("data.inactive_without_end"), QStringLiteral("data.stale_active"),
        QStringLiteral("data.duration_mismatch"), QStringLiteral("data.start_columns_diverge"),
        QStringLiteral("data.end_columns_diverge"), QStringLiteral("data.duplicate_session_id"),
        QStringLiteral("data.message_count_mismatch")};
    if (!sessionChecks.contains(checkId))
        return {};
    const qsizetype paren = sample.indexOf(QStringLiteral(" ("));
    return paren < 0 ? sample : sample.left(paren);
}

void HealthPage::setDatabaseUrl(const QString& url)
{
    ui->urlEdit->setText(url);
}

QString HealthPage::summaryText(const store::DoctorReport& report)
{
    const int errors = report.count(store::Severity::Error);
    const int warnings = report.count(store::Severity::Warning);
    const int notes = report.count(store::Severity::Info);
    const int notChecked = report.notChecked();
    return tr("%1, %2, %3, %4")
        .arg(plural(tr("%n error(s)", nullptr, errors), errors),
            plural(tr("%n warning(s)", nullptr, warnings), warnings), plural(tr("%n note(s)", nullptr, notes), notes),
            tr("%n not checked", nullptr, notChecked));
}

void HealthPage::runDoctor()
{
    m_runTime.start();
    m_runner->run(databaseUrl());
}

void HealthPage::showRunning(const QString& urlText)
{
    // Never echo the text as typed: it may hold a password.
    const auto url = DatabaseUrl::parse(urlText);
    setSummary(url ? tr("Checking %1…").arg(url->toDisplayString()) : tr("Checking…"), {}, Tone::Normal);
}

void HealthPage::showReport(const store::DoctorReport& report)
{
    // Keep the selected check selected across runs.
    const QString selectedId = ui->checksView->currentIndex().data(DoctorReportModel::CheckIdRole).toString();
    m_model->setReport(report);
    const int row = selectedId.isEmpty() ? -1 : m_model->rowOf(selectedId);
    ui->checksView->setCurrentIndex(m_model->index(std::max(row, 0), 0));

    const auto worst = std::find_if(m_model->report().checks.cbegin(), m_model->report().checks.cend(),
        [](const CheckResult& c) { return c.status != CheckResult::Status::Passed; });
    const QIcon icon = worst == m_model->report().checks.cend()
        ? severityIcon(CheckResult::Status::Passed, store::Severity::Info, style())
        : severityIcon(worst->status, worst->severity, style());
    setSummary(summaryText(report), icon, Tone::Normal);
    Q_EMIT statusMessage(tr("Checked %1 (%2, schema version %3) in %4 ms.")
                             .arg(report.database, report.backend)
                             .arg(report.schemaVersion)
                             .arg(m_runTime.elapsed()));
    Q_EMIT doctorFinished(true);
}

void HealthPage::showError(const Error& error)
{
    m_model->clear();
    ui->detailsView->clear();
    setSummary(error.message, style()->standardIcon(QStyle::SP_MessageBoxCritical), Tone::Error);
    ui->summaryLabel->setToolTip(error.code);
    Q_EMIT statusMessage(tr("The doctor could not run [%1].").arg(error.code));
    Q_EMIT doctorFinished(false);
}

void HealthPage::setSummary(const QString& text, const QIcon& icon, Tone tone)
{
    ui->summaryLabel->setText(text);
    ui->summaryLabel->setToolTip({});
    QPalette palette = this->palette();
    if (tone == Tone::Error)
        palette.setColor(
            QPalette::WindowText, severityColor(CheckResult::Status::Failed, store::Severity::Error, palette));
    ui->summaryLabel->setPalette(palette);
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    ui->summaryIcon->setPixmap(icon.isNull() ? QPixmap() : icon.pixmap(size, size));
}

void HealthPage::showDetails(const QModelIndex& current)
{
    if (!current.isValid()) {
        ui->detailsView->clear();
        return;
    }
    const auto check = current.data(DoctorReportModel::CheckResultRole).value<CheckResult>();
    const QColor color = severityColor(check.status, check.severity, palette());
    QString text = QStringLiteral("<p><b style=\"color:%1\">%2</b> &nbsp;<b>%3</b><br/><code>%4</code></p>")
                       .arg(color.name(), html(DoctorReportModel::stateName(check)), html(check.title), html(check.id));
    switch (check.status) {
    case CheckResult::Status::NotChecked:
        text += QStringLiteral("<p>%1</p>").arg(html(tr("Not checked: %1.").arg(check.reason)));
        break;
    case CheckResult::Status::Passed:
        text += QStringLiteral("<p>%1</p>").arg(html(tr("Passed: nothing found.")));
        break;
    case CheckResult::Status::Failed: {
        const QString heading = check.count > check.samples.size()
            ? tr("%1 found, the first %2:").arg(check.count).arg(check.samples.size())
            : tr("%n found:", nullptr, int(check.count));
        QString items;
        bool linked = false;
        for (const QString& sample : check.samples) {
            const QString session = sessionOfSample(check.id, sample);
            if (session.isEmpty()) {
                items += QStringLiteral("<li><code>%1</code></li>").arg(html(sample));
                continue;
            }
            linked = true;
            QUrl link;
            link.setScheme(QStringLiteral("session"));
            link.setPath(session);
            items += QStringLiteral("<li><a href=\"%1\"><code>%2</code></a></li>")
                         .arg(html(QString::fromUtf8(link.toEncoded())), html(sample));
        }
        text += QStringLiteral("<p>%1</p><ul>%2</ul>").arg(html(heading), items);
        if (linked)
            text += QStringLiteral("<p><i>%1</i></p>").arg(html(tr("Click a row to open its conversation.")));
        break;
    }
    }
    text += QStringLiteral("<p><b>%1</b> %2</p>").arg(html(tr("Hint:")), html(check.hint));
    ui->detailsView->setHtml(text);
}

} // namespace voxtrack::gui
