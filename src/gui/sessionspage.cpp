// SPDX-License-Identifier: MIT
#include "gui/sessionspage.h"
#include "ui_sessionspage.h"

#include "models/livebinding.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QPainter>
#include <QStyledItemDelegate>

namespace voxtrack::gui {

namespace {

/// Rows that arrived live are tinted with the palette's highlight colour, faintly.
class NewRowDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        if (index.data(models::SessionsModel::NewRole).toBool() && !(option.state & QStyle::State_Selected)) {
            QColor tint = option.palette.color(QPalette::Highlight);
            tint.setAlpha(48);
            painter->fillRect(option.rect, tint);
        }
        QStyledItemDelegate::paint(painter, option, index);
    }
};

} // namespace

SessionsPage::SessionsPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::SessionsPage>())
    , m_model(new models::SessionsModel(this))
{
    ui->setupUi(this);
    ui->table->setModel(m_model);
    ui->table->setItemDelegate(new NewRowDelegate(ui->table));
    ui->table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    ui->table->horizontalHeader()->setStretchLastSection(true);
    ui->table->horizontalHeader()->setSortIndicator(models::SessionsModel::StartedAtColumn, Qt::DescendingOrder);
    ui->table->verticalHeader()->setDefaultSectionSize(ui->table->fontMetrics().height() + 6);
    ui->table->verticalHeader()->hide();

    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(300);
    connect(&m_filterDelay, &QTimer::timeout, this, &SessionsPage::applyFilter);
    for (QLineEdit* edit : {ui->userEdit, ui->textEdit, ui->metadataEdit})
        connect(edit, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));
    connect(ui->stateCombo, &QComboBox::currentIndexChanged, this, &SessionsPage::applyFilter);
    connect(ui->liveCheck, &QCheckBox::toggled, this, [this] {
        followFeed();
        if (isLive() && m_url)
            m_model->catchUp(); // what was written while the feed was off
    });

    connect(m_model, &models::SessionsModel::rowCountStateChanged, this, &SessionsPage::updateCount);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &SessionsPage::updateCount);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &SessionsPage::updateCount);
    connect(m_model, &QAbstractItemModel::modelReset, this, &SessionsPage::updateCount);
    connect(m_model, &models::SessionsModel::loadFailed, this,
        [this](const Error& error) { Q_EMIT statusMessage(error.message); });
    connect(ui->table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        [this] { Q_EMIT sessionSelected(selectedSessionId()); });
    connect(ui->table, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        const QString session = index.siblingAtColumn(0).data(models::SessionsModel::SessionIdRole).toString();
        if (!session.isEmpty())
            Q_EMIT sessionActivated(session);
    });
    updateCount();
}

SessionsPage::~SessionsPage() = default;

void SessionsPage::setDatabase(const DatabaseUrl& url, store::ChangeFeed* feed)
{
    m_url = url;
    m_feed = feed;
    m_model->setFilter(filterFromFields());
    m_model->setDatabase(url);
    followFeed();
}

void SessionsPage::clearDatabase()
{
    m_url.reset();
    m_feed = nullptr;
    followFeed();
    m_model->clearDatabase();
    updateCount();
}

bool SessionsPage::isLive() const
{
    return ui->liveCheck->isChecked();
}

void SessionsPage::setLive(bool live)
{
    ui->liveCheck->setChecked(live);
}

QString SessionsPage::selectedSessionId() const
{
    const QModelIndexList rows = ui->table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.constFirst().data(models::SessionsModel::SessionIdRole).toString();
}

store::SessionFilter SessionsPage::filterFromFields() const
{
    store::SessionFilter filter;
    filter.userId = ui->userEdit->text().trimmed();
    filter.state = ui->stateCombo->currentIndex() == 1 ? store::SessionFilter::State::Active
        : ui->stateCombo->currentIndex() == 2          ? store::SessionFilter::State::Ended
                                                       : store::SessionFilter::State::Any;
    filter.contentText = ui->textEdit->text().trimmed();
    const QString metadata = ui->metadataEdit->text().trimmed();
    if (const qsizetype equals = metadata.indexOf(u'='); equals > 0) {
        filter.metadataKey = metadata.left(equals).trimmed();
        filter.metadataValue = metadata.mid(equals + 1).trimmed();
    }
    return filter;
}

void SessionsPage::applyFilter()
{
    m_filterDelay.stop();
    const QString metadata = ui->metadataEdit->text().trimmed();
    if (!metadata.isEmpty() && metadata.indexOf(u'=') <= 0) {
        Q_EMIT statusMessage(tr("Write the metadata filter as key=value, for example channel=phone."));
        return;
    }
    if (m_url)
        m_model->setFilter(filterFromFields());
}

void SessionsPage::updateCount()
{
    using State = models::SessionsModel::RowCountState;
    const int rows = m_model->rowCount();
    switch (m_model->rowCountState()) {
    case State::Unknown:
        ui->countLabel->setText(m_url ? tr("Loading…") : tr("No database"));
        break;
    case State::Partial:
        ui->countLabel->setText(tr("%n session(s) so far, counting…", nullptr, rows));
        break;
    case State::Complete:
        ui->countLabel->setText(tr("%n session(s)", nullptr, rows));
        break;
    }
}

void SessionsPage::followFeed()
{
    m_liveLink.reset();
    if (!m_feed || !isLive())
        return;
    m_liveLink = std::make_unique<QObject>();
    models::followChanges(*m_feed, m_model, nullptr, m_liveLink.get());
}

void SessionsPage::hideEvent(QHideEvent* event)
{
    m_model->markAllSeen();
    QWidget::hideEvent(event);
}

} // namespace voxtrack::gui
