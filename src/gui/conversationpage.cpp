// SPDX-License-Identifier: MIT
#include "gui/conversationpage.h"
#include "ui_conversationpage.h"

#include "gui/bubbledelegate.h"
#include "gui/callplayer.h"
#include "models/databasethread.h"
#include "models/livebinding.h"
#include "models/messagesmodel.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonObject>
#include <QScrollBar>

namespace voxtrack::gui {

namespace {

QString localTime(const QDateTime& time)
{
    return time.isValid() ? time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) : QString();
}

QString endReasonText(const QString& reason)
{
    if (reason == u"client_closed")
        return ConversationPage::tr("the client closed it");
    if (reason == u"timeout")
        return ConversationPage::tr("timed out");
    if (reason == u"server_shutdown")
        return ConversationPage::tr("the server shut down");
    if (reason == u"recovered")
        return ConversationPage::tr("closed after a crash");
    return reason;
}

QString jsonType(const QJsonValue& value)
{
    switch (value.type()) {
    case QJsonValue::Object:
        return ConversationPage::tr("object");
    case QJsonValue::Array:
        return ConversationPage::tr("array");
    case QJsonValue::String:
        return ConversationPage::tr("string");
    case QJsonValue::Double:
        return ConversationPage::tr("number");
    case QJsonValue::Bool:
        return ConversationPage::tr("boolean");
    case QJsonValue::Null:
        return ConversationPage::tr("null");
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

} // namespace

ConversationPage::ConversationPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::ConversationPage>())
    , m_model(new models::MessagesModel(this))
    , m_delegate(new BubbleDelegate(this))
    , m_player(new CallPlayer(this))
    , m_copyTextAction(new QAction(tr("Copy as text"), this))
    , m_copyMessageAction(new QAction(tr("Copy message"), this))
    , m_playCallAction(new QAction(tr("Play call"), this))
    , m_stopAction(new QAction(tr("Stop"), this))
    , m_playMessageAction(new QAction(tr("Play message"), this))
    , m_current(std::make_shared<std::atomic<int>>(0))
{
    ui->setupUi(this);
    ui->transcript->setModel(m_model);
    ui->transcript->setModelColumn(models::MessagesModel::ContentColumn);
    ui->transcript->setItemDelegate(m_delegate);
    ui->transcript->verticalScrollBar()->setSingleStep(24);
    ui->splitter->setStretchFactor(0, 3);
    ui->splitter->setStretchFactor(1, 1);
    ui->splitter->setSizes({760, 300});
    ui->metadataTree->header()->setSectionResizeMode(QHeaderView::Interactive);
    ui->metadataTree->header()->setStretchLastSection(false);
    ui->metadataTree->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    ui->metadataTree->header()->resizeSection(0, 110);
    ui->metadataTree->header()->resizeSection(2, 64);
    QFont caption = ui->metadataCaption->font();
    caption.setWeight(QFont::DemiBold);
    ui->metadataCaption->setFont(caption);
    QFont title = ui->sessionIdLabel->font();
    title.setWeight(QFont::DemiBold);
    ui->sessionIdLabel->setFont(title);
    QPalette muted = ui->emptyLabel->palette();
    muted.setColor(QPalette::WindowText, muted.color(QPalette::Disabled, QPalette::WindowText));
    ui->emptyLabel->setPalette(muted);

    m_copyTextAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_copyTextAction->setToolTip(tr("Copy the whole transcript as text (%1)")
                                     .arg(m_copyTextAction->shortcut().toString(QKeySequence::NativeText)));
    addAction(m_copyTextAction);
    m_copyMessageAction->setShortcut(QKeySequence::Copy);
    m_copyMessageAction->setShortcutContext(Qt::WidgetShortcut);
    m_copyMessageAction->setToolTip(tr("Copy the selected message's text (%1)")
                                        .arg(m_copyMessageAction->shortcut().toString(QKeySequence::NativeText)));
    ui->transcript->addAction(m_copyMessageAction);
    ui->transcript->addAction(m_copyTextAction);
    ui->transcript->setContextMenuPolicy(Qt::ActionsContextMenu);
    ui->copyTextButton->setDefaultAction(m_copyTextAction);
    ui->copyMessageButton->setDefaultAction(m_copyMessageAction);
    connect(m_copyTextAction, &QAction::triggered, this, &ConversationPage::copyTranscript);
    connect(m_copyMessageAction, &QAction::triggered, this, &ConversationPage::copySelectedMessage);
    connect(ui->transcript->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        &ConversationPage::updateActions);

    // Playback of the stored recordings.
    m_playCallAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    addAction(m_playCallAction);
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setToolTip(tr("Stop playing (%1)").arg(m_stopAction->shortcut().toString(QKeySequence::NativeText)));
    addAction(m_stopAction);
    m_playMessageAction->setShortcut(QKeySequence(Qt::Key_Space));
    m_playMessageAction->setShortcutContext(Qt::WidgetShortcut);
    ui->transcript->insertAction(m_copyMessageAction, m_playMessageAction);
    ui->playCallButton->setDefaultAction(m_playCallAction);
    ui->stopButton->setDefaultAction(m_stopAction);
    connect(m_playCallAction, &QAction::triggered, this, &ConversationPage::playCall);
    connect(m_stopAction, &QAction::triggered, this, &ConversationPage::stopPlayback);
    connect(m_playMessageAction, &QAction::triggered, this, [this] { togglePlayback(ui->transcript->currentIndex()); });
    connect(m_delegate, &BubbleDelegate::playClicked, this, &ConversationPage::togglePlayback);
    connect(m_player, &CallPlayer::currentChanged, this, &ConversationPage::showPlaying);
    connect(m_player, &CallPlayer::positionChanged, this, &ConversationPage::showProgress);
    connect(m_player, &CallPlayer::errorOccurred, this, &ConversationPage::statusMessage);
    connect(m_player, &CallPlayer::availabilityChanged, this, &ConversationPage::updateActions);
    connect(m_model, &QAbstractItemModel::modelAboutToBeReset, this, &ConversationPage::stopPlayback);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, [this] {
        if (m_player->isActive() && !m_playingRow.isValid())
            stopPlayback();
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, &ConversationPage::updateActions);

    // Follow the end of the transcript: a message arriving while the view shows the last one
    // scrolls it into view; one arriving while the reader is further up leaves the view alone.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] {
        const QScrollBar* bar = ui->transcript->verticalScrollBar();
        m_wasAtBottom = bar->value() >= bar->maximum() - 4;
    });
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this] {
        updateActions();
        if (m_wasAtBottom && m_model->isComplete())
            ui->transcript->scrollToBottom();
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, &ConversationPage::updateActions);
    connect(m_model, &models::MessagesModel::loadFailed, this,
        [this](const Error& error) { Q_EMIT statusMessage(error.message); });

    m_refreshDelay.setSingleShot(true);
    m_refreshDelay.setInterval(150);
    connect(&m_refreshDelay, &QTimer::timeout, this, &ConversationPage::requestSession);
    m_clock.setInterval(1000);
    connect(&m_clock, &QTimer::timeout, this, &ConversationPage::showHeader);

    ui->stack->setCurrentWidget(ui->emptyPage);
    updateActions();
}

ConversationPage::~ConversationPage()
{
    m_current->store(-1);
    m_thread.reset();
}

void ConversationPage::setDatabase(const DatabaseUrl& url, store::ChangeFeed* feed)
{
    if (m_feed) {
        QObject::disconnect(m_feed.data(), nullptr, m_model, nullptr);
        QObject::disconnect(m_feed.data(), nullptr, this, nullptr);
    }
    m_feed = feed;
    m_url = url;
    m_current->store(++m_generation);
    m_thread = std::make_unique<models::DatabaseThread>(url);
    m_model->setDatabase(url);
    if (feed) {
        models::followChanges(*feed, nullptr, m_model);
        connect(feed, &store::ChangeFeed::changed, this, [this](const store::Change& change) {
            // The header follows the session: its end, and its message count while it is open.
            const bool open = !m_session || m_session->active;
            if (!m_sessionId.isEmpty() && (open || change.kind == store::Change::Kind::Update))
                m_refreshDelay.start();
        });
        connect(feed, &store::ChangeFeed::resynced, this, [this] {
            if (!m_sessionId.isEmpty())
                m_refreshDelay.start();
        });
    }
    m_session.reset();
    m_problem.clear();
    showHeader();
    showMetadata({});
    requestSession();
}

void ConversationPage::setSessionId(const QString& sessionId)
{
    if (sessionId == m_sessionId)
        return;
    m_sessionId = sessionId;
    m_current->store(++m_generation);
    m_session.reset();
    m_problem.clear();
    m_model->setSessionId(sessionId);
    ui->transcript->scrollToTop();
    ui->stack->setCurrentWidget(sessionId.isEmpty() ? ui->emptyPage : ui->sessionPage);
    showHeader();
    showMetadata({});
    requestSession();
}

QString ConversationPage::sessionId() const
{
    return m_sessionId;
}

void ConversationPage::requestSession()
{
    m_refreshDelay.stop();
    if (!m_thread || m_sessionId.isEmpty())
        return;
    const QString sessionId = m_sessionId;
    const int generation = m_generation;
    m_thread->request<store::SessionRow>(
        this, [current = m_current, generation] { return current->load() == generation; },
        [sessionId](store::SessionPager& pager) { return pager.session(sessionId); },
        [this, sessionId, generation](const Expected<store::SessionRow>& row) {
            if (generation == m_generation)
                applySession(sessionId, row);
        });
}

void ConversationPage::applySession(const QString& sessionId, const Expected<store::SessionRow>& row)
{
    if (sessionId != m_sessionId)
        return;
    if (!row) {
        if (row.error().code == u"session.not_found") {
            m_session.reset();
            m_problem = tr("Not in this database");
        } else if (!m_session) {
            m_problem = tr("Could not be read");
        }
        Q_EMIT statusMessage(row.error().message);
    } else {
        m_problem.clear();
        const bool metadataChanged = !m_session || m_session->metadata != row->metadata;
        m_session = *row;
        if (metadataChanged)
            showMetadata(row->metadata);
    }
    showHeader();
    Q_EMIT sessionRefreshed();
}

void ConversationPage::showHeader()
{
    const QString none = QStringLiteral("—");
    ui->sessionIdLabel->setText(m_sessionId.isEmpty() ? none : m_sessionId);
    if (!m_session) {
        for (QLabel* label : {ui->userIdLabel, ui->startedLabel, ui->endedLabel, ui->durationLabel, ui->stateLabel,
                 ui->messageCountLabel})
            label->setText(none);
        if (!m_url)
            ui->stateLabel->setText(tr("No database"));
        else if (!m_sessionId.isEmpty())
            ui->stateLabel->setText(m_problem.isEmpty() ? tr("Loading…") : m_problem);
        m_clock.stop();
        return;
    }
    const store::SessionRow& session = *m_session;
    ui->userIdLabel->setText(session.userId);
    ui->startedLabel->setText(localTime(session.startedAt));
    ui->messageCountLabel->setText(QString::number(session.messageCount));
    if (session.active) {
        ui->stateLabel->setText(tr("Active"));
        ui->endedLabel->setText(tr("not yet"));
        const double running = session.startedAt.isValid()
            ? double(session.startedAt.msecsTo(QDateTime::currentDateTimeUtc())) / 1000.0
            : 0.0;
        ui->durationLabel->setText(tr("%1 so far").arg(models::durationText(running)));
        if (!m_clock.isActive())
            m_clock.start();
    } else {
        m_clock.stop();
        ui->stateLabel->setText(
            session.endReason.isEmpty() ? tr("Ended") : tr("Ended: %1").arg(endReasonText(session.endReason)));
        ui->endedLabel->setText(session.endedAt.isValid() ? localTime(session.endedAt) : none);
        double seconds = -1;
        if (session.durationSeconds)
            seconds = *session.durationSeconds;
        else if (session.startedAt.isValid() && session.endedAt.isValid())
            seconds = double(session.startedAt.msecsTo(session.endedAt)) / 1000.0;
        ui->durationLabel->setText(seconds >= 0 ? models::durationText(seconds) : none);
    }
}

void ConversationPage::showMetadata(const QJsonObject& metadata)
{
    ui->metadataTree->clear();
    ui->metadataCaption->setText(metadata.isEmpty() ? tr("Session metadata: none") : tr("Session metadata"));
    for (auto it = metadata.begin(); it != metadata.end(); ++it)
        addJson(nullptr, it.key(), it.value());
    ui->metadataTree->expandAll();
}

void ConversationPage::addJson(QTreeWidgetItem* parent, const QString& key, const QJsonValue& value)
{
    auto* item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(ui->metadataTree);
    item->setText(0, key);
    item->setText(2, jsonType(value));
    QString text;
    switch (value.type()) {
    case QJsonValue::Object: {
        const QJsonObject object = value.toObject();
        text = tr("%n key(s)", nullptr, int(object.size()));
        for (auto it = object.begin(); it != object.end(); ++it)
            addJson(item, it.key(), it.value());
        break;
    }
    case QJsonValue::Array: {
        const QJsonArray array = value.toArray();
        text = tr("%n item(s)", nullptr, int(array.size()));
        for (qsizetype i = 0; i < array.size(); ++i)
            addJson(item, QStringLiteral("[%1]").arg(i), array.at(i));
        break;
    }
    case QJsonValue::String:
        text = value.toString();
        break;
    case QJsonValue::Double:
        text = QString::number(value.toDouble(), 'g', 15);
        break;
    case QJsonValue::Bool:
        text = value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        break;
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        text = QStringLiteral("null");
        break;
    }
    item->setText(1, text);
    item->setToolTip(1, text);
    if (value.isObject() || value.isArray()) {
        QPalette palette = ui->metadataTree->palette();
        item->setForeground(1, palette.color(QPalette::Disabled, QPalette::Text));
    }
}

void ConversationPage::copyTranscript()
{
    if (m_model->rowCount() == 0) {
        Q_EMIT statusMessage(tr("There is no transcript to copy: select a session with messages."));
        return;
    }
    QGuiApplication::clipboard()->setText(m_model->transcript());
    Q_EMIT statusMessage(tr("Copied the transcript (%n message(s)) to the clipboard.", nullptr, m_model->rowCount()));
}

void ConversationPage::copySelectedMessage()
{
    const QModelIndexList selected = ui->transcript->selectionModel()->selectedIndexes();
    if (selected.isEmpty()) {
        Q_EMIT statusMessage(tr("No message is selected: click a bubble first."));
        return;
    }
    QGuiApplication::clipboard()->setText(selected.constFirst().data(models::MessagesModel::ContentRole).toString());
    Q_EMIT statusMessage(tr("Copied the message to the clipboard."));
}

void ConversationPage::playCall()
{
    QList<QPersistentModelIndex> rows;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const QModelIndex index = m_model->index(row, ui->transcript->modelColumn());
        if (BubbleDelegate::hasAudio(index))
            rows.append(index);
    }
    if (rows.isEmpty()) {
        Q_EMIT statusMessage(tr("This conversation has no recorded audio: only messages with an audio_url can be "
                                "played."));
        return;
    }
    playRows(rows);
}

void ConversationPage::togglePlayback(const QModelIndex& index)
{
    if (!index.isValid())
        return;
    const QModelIndex row = m_model->index(index.row(), ui->transcript->modelColumn());
    if (m_player->isActive() && m_playingRow == row) {
        stopPlayback();
        return;
    }
    if (BubbleDelegate::hasAudio(row))
        playRows({row});
}

void ConversationPage::stopPlayback()
{
    m_player->stop();
}

void ConversationPage::playRows(const QList<QPersistentModelIndex>& rows)
{
    QList<QUrl> urls;
    urls.reserve(rows.size());
    for (const QPersistentModelIndex& row : rows)
        urls.append(QUrl(row.data(models::MessagesModel::AudioUrlRole).toString()));
    // The player says "stopped" (currentChanged -1) before it starts: the rows are set after.
    m_player->stop();
    m_playRows = rows;
    m_player->play(urls);
    if (!m_player->isActive())
        m_playRows.clear();
}

void ConversationPage::showPlaying(int queueIndex)
{
    const QPersistentModelIndex previous = m_playingRow;
    m_playingRow
        = queueIndex >= 0 && queueIndex < m_playRows.size() ? m_playRows.at(queueIndex) : QPersistentModelIndex();
    if (queueIndex < 0)
        m_playRows.clear();
    m_delegate->setPlaying(m_playingRow);
    if (previous.isValid())
        ui->transcript->update(previous);
    if (m_playingRow.isValid()) {
        // Follow the call: the message being played is the selected one, in view.
        ui->transcript->setCurrentIndex(m_playingRow);
        ui->transcript->scrollTo(m_playingRow);
        ui->transcript->update(m_playingRow);
    }
    updateActions();
}

void ConversationPage::showProgress(qint64 position, qint64 duration)
{
    if (!m_playingRow.isValid())
        return;
    m_delegate->setPlaying(m_playingRow, duration > 0 ? double(position) / double(duration) : -1.0);
    ui->transcript->update(m_playingRow);
}

void ConversationPage::updateActions()
{
    m_copyTextAction->setEnabled(m_model->rowCount() > 0);
    m_copyMessageAction->setEnabled(ui->transcript->selectionModel()->hasSelection());

    const bool available = m_player->isAvailable();
    m_delegate->setPlaybackEnabled(available, m_player->unavailableReason());
    bool anyAudio = false;
    for (int row = 0; row < m_model->rowCount() && !anyAudio; ++row)
        anyAudio = BubbleDelegate::hasAudio(m_model->index(row, ui->transcript->modelColumn()));
    const QString keys = m_playCallAction->shortcut().toString(QKeySequence::NativeText);
    m_playCallAction->setEnabled(available && anyAudio);
    m_playCallAction->setToolTip(!available ? m_player->unavailableReason()
            : anyAudio                      ? tr("Play every recorded message of the call in order (%1)").arg(keys)
                                            : tr("This conversation has no recorded audio."));
    m_stopAction->setEnabled(m_player->isActive());
    m_playMessageAction->setEnabled(available && BubbleDelegate::hasAudio(ui->transcript->currentIndex()));
    ui->transcript->viewport()->update();
}

void ConversationPage::hideEvent(QHideEvent* event)
{
    m_model->markAllSeen();
    QWidget::hideEvent(event);
}

} // namespace voxtrack::gui
