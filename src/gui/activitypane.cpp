// SPDX-License-Identifier: MIT
#include "gui/activitypane.h"
#include "ui_activitypane.h"

#include "gui/severitystyle.h"
#include "models/activitylog.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QStyledItemDelegate>

namespace voxtrack::gui {

namespace {

using Kind = models::ActivityLog::Kind;

/// Each kind of line in its colour: starts and ends like the tracker's indicators, problems as errors.
class ActivityDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        const auto kind = Kind(index.data(models::ActivityLog::KindRole).toInt());
        QColor color;
        switch (kind) {
        case Kind::Started:
            color = option->palette.color(QPalette::Link);
            break;
        case Kind::Ended:
            color = severityColor(store::CheckResult::Status::Passed, store::Severity::Info, option->palette);
            break;
        case Kind::Problem:
            color = severityColor(store::CheckResult::Status::Failed, store::Severity::Error, option->palette);
            option->font.setBold(true);
            break;
        case Kind::Note:
            color = option->palette.color(QPalette::PlaceholderText);
            break;
        case Kind::Saved:
            return;
        }
        option->palette.setColor(QPalette::Text, color);
    }
};

} // namespace

ActivityPane::ActivityPane(models::ActivityLog* log, QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::ActivityPane>())
    , m_log(log)
    , m_filter(new QSortFilterProxyModel(this))
{
    ui->setupUi(this);
    m_filter->setSourceModel(m_log);
    m_filter->setFilterRole(models::ActivityLog::KindRole);
    ui->logView->setModel(m_filter);
    ui->logView->setItemDelegate(new ActivityDelegate(ui->logView));
    ui->logView->setUniformItemSizes(true);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    ui->logView->setFont(mono);

    connect(ui->problemsCheck, &QCheckBox::toggled, this, [this](bool problemsOnly) {
        m_filter->setFilterFixedString(problemsOnly ? QString::number(int(Kind::Problem)) : QString());
        scrollToNewest();
    });
    connect(ui->clearButton, &QToolButton::clicked, m_log, &models::ActivityLog::clear);
    connect(ui->followCheck, &QCheckBox::toggled, this, [this](bool follow) {
        if (follow)
            scrollToNewest();
    });
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, [this] {
        if (ui->followCheck->isChecked())
            scrollToNewest();
    });
    // Scrolling up stops following; back at the bottom, it follows again.
    connect(ui->logView->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        const QScrollBar* bar = ui->logView->verticalScrollBar();
        if (bar->isSliderDown())
            ui->followCheck->setChecked(value >= bar->maximum());
    });
    connect(ui->logView, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        const QString session = index.data(models::ActivityLog::SessionIdRole).toString();
        if (!session.isEmpty())
            Q_EMIT sessionRequested(session);
    });
}

ActivityPane::~ActivityPane() = default;

int ActivityPane::visibleLines() const
{
    return m_filter->rowCount();
}

void ActivityPane::scrollToNewest()
{
    ui->logView->scrollToBottom();
}

} // namespace voxtrack::gui
