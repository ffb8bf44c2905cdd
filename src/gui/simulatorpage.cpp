// SPDX-License-Identifier: MIT
#include "gui/simulatorpage.h"
#include "speech/synthesizer.h"
#include "ui_simulatorpage.h"

#include "client/voiceclient.h"
#include "core/role.h"
#include "gui/bubbledelegate.h"
#include "gui/loadpanel.h"
#include "models/messagesmodel.h"
#include "models/sessionsmodel.h"

#include <QMenu>
#include <QStandardItemModel>

namespace voxtrack::gui {

using models::MessagesModel;

namespace {

/// What a caller typically says: the agent's rules answer most of them.
QStringList phrases()
{
    return {
        SimulatorPage::tr("Hello!"),
        SimulatorPage::tr("What's the price of Tesla?"),
        SimulatorPage::tr("And the price of Apple?"),
        SimulatorPage::tr("How is Nvidia doing today?"),
        SimulatorPage::tr("What about Microsoft?"),
        SimulatorPage::tr("What can you do?"),
        SimulatorPage::tr("Thanks, that's all."),
        SimulatorPage::tr("Goodbye"),
    };
}

/// "00:42", or "1:02:05" past an hour.
QString clockText(qint64 ms)
{
    const qint64 seconds = ms / 1000;
    if (seconds >= 3600) {
        return QStringLiteral("%1:%2:%3")
            .arg(seconds / 3600)
            .arg(seconds / 60 % 60, 2, 10, QChar(u'0'))
            .arg(seconds % 60, 2, 10, QChar(u'0'));
    }
    return QStringLiteral("%1:%2").arg(seconds / 60, 2, 10, QChar(u'0')).arg(seconds % 60, 2, 10, QChar(u'0'));
}

QString shortId(const QString& id)
{
    return id.size() > 8 ? id.left(8) + QStringLiteral("…") : id;
}

} // namespace

SimulatorPage::SimulatorPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::SimulatorPage>())
    , m_chat(new QStandardItemModel(this))
    , m_delegate(new BubbleDelegate(this))
    , m_loadPanel(nullptr)
{
    ui->setupUi(this);
    connect(ui->voiceCheck, &QCheckBox::toggled, this, &SimulatorPage::updateAloud);
    connect(&m_devices, &QMediaDevices::audioOutputsChanged, this, &SimulatorPage::updateAloud);
    updateAloud();
    m_loadPanel = new LoadPanel(this);
    ui->splitter->addWidget(m_loadPanel);
    ui->splitter->setStretchFactor(0, 3);
    ui->splitter->setStretchFactor(1, 2);
    ui->splitter->setSizes({640, 440});

    m_delegate->setUserLabel(tr("You"));
    ui->chatView->setModel(m_chat);
    ui->chatView->setItemDelegate(m_delegate);

    auto* menu = new QMenu(ui->phrasesButton);
    for (const QString& phrase : phrases()) {
        connect(menu->addAction(phrase), &QAction::triggered, this, [this, phrase] {
            ui->utteranceEdit->setText(phrase);
            ui->utteranceEdit->setFocus();
        });
    }
    ui->phrasesButton->setMenu(menu);

    ui->startButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_N));
    ui->startButton->setToolTip(tr("Open a new session with the server as this user (%1)")
                                    .arg(ui->startButton->shortcut().toString(QKeySequence::NativeText)));
    ui->endButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    ui->endButton->setToolTip(tr("End the session: the server records its end and duration (%1)")
                                  .arg(ui->endButton->shortcut().toString(QKeySequence::NativeText)));
    ui->sendButton->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    ui->sendButton->setToolTip(
        tr("Say it to the agent (Return or %1)").arg(ui->sendButton->shortcut().toString(QKeySequence::NativeText)));

    connect(ui->startButton, &QPushButton::clicked, this, &SimulatorPage::startSession);
    connect(ui->endButton, &QPushButton::clicked, this, &SimulatorPage::endSession);
    connect(ui->sendButton, &QPushButton::clicked, this, &SimulatorPage::sendFromField);
    connect(ui->utteranceEdit, &QLineEdit::returnPressed, this, &SimulatorPage::sendFromField);
    connect(ui->userEdit, &QLineEdit::returnPressed, this, &SimulatorPage::startSession);
    connect(m_chat, &QAbstractItemModel::rowsInserted, ui->chatView, &QListView::scrollToBottom);

    QPalette muted = ui->hintLabel->palette();
    muted.setColor(QPalette::WindowText, muted.color(QPalette::Disabled, QPalette::WindowText));
    ui->hintLabel->setPalette(muted);
    QFont headerFont = ui->headerLabel->font();
    headerFont.setWeight(QFont::DemiBold);
    ui->headerLabel->setFont(headerFont);

    m_headerClock.setInterval(1000);
    connect(&m_headerClock, &QTimer::timeout, this, &SimulatorPage::updateHeader);
    setState(State::Idle);
}

SimulatorPage::~SimulatorPage()
{
    if (m_client)
        m_client->disconnect(this);
}

void SimulatorPage::setServerUrl(const QUrl& conversationUrl)
{
    if (conversationUrl == m_serverUrl)
        return;
    m_serverUrl = conversationUrl;
    m_loadPanel->setServerUrl(conversationUrl);
    if (m_state == State::Open || m_state == State::Connecting)
        endSession();
    setState(m_state);
}

void SimulatorPage::setDatabase(const std::optional<DatabaseUrl>& url)
{
    m_loadPanel->setDatabase(url);
}

QAbstractItemModel* SimulatorPage::chatModel() const
{
    return m_chat;
}

void SimulatorPage::startSession()
{
    if (m_state != State::Idle)
        return;
    if (m_serverUrl.isEmpty()) {
        Q_EMIT statusMessage(tr("There is no server to talk to: enter its URL in the connection bar first."));
        return;
    }
    QString userId = ui->userEdit->text().trimmed();
    if (userId.isEmpty()) {
        userId = QStringLiteral("demo-user");
        ui->userEdit->setText(userId);
    }
    m_chat->clear();
    m_replies.clear();
    m_turns = 0;
    m_sessionId.clear();
    m_endAnnounced = false;
    m_sessionMs = 0;

    client::ClientOptions options;
    options.url = m_serverUrl;
    options.userId = userId;
    options.askPersisted = true;
    auto* voiceClient = new client::VoiceClient(options, this);
    m_client = voiceClient;
    connect(voiceClient, &client::VoiceClient::started, this, &SimulatorPage::onStarted);
    connect(voiceClient, &client::VoiceClient::replied, this, &SimulatorPage::onReplied);
    connect(voiceClient, &client::VoiceClient::persisted, this, &SimulatorPage::onPersisted);
    connect(voiceClient, &client::VoiceClient::sessionEnded, this, &SimulatorPage::onEnded);
    connect(voiceClient, &client::VoiceClient::failed, this, &SimulatorPage::onFailed);
    connect(voiceClient, &client::VoiceClient::closed, this, &SimulatorPage::onClosed);
    setState(State::Connecting);
    voiceClient->open();
}

void SimulatorPage::sendText(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (m_state != State::Open || !m_client) {
        Q_EMIT statusMessage(tr("No session is open: start one (%1), then say something.")
                                 .arg(ui->startButton->shortcut().toString(QKeySequence::NativeText)));
        return;
    }
    if (trimmed.isEmpty()) {
        Q_EMIT statusMessage(tr("There is nothing to say: type what the user says, or pick one of the phrases."));
        return;
    }
    QString id;
    if (ui->voiceCheck->isChecked()) {
        const auto pcm = speech::synthesize(trimmed);
        if (!pcm) {
            Q_EMIT statusMessage(pcm.error().message);
            return;
        }
        id = m_client->speak(trimmed, *pcm, client::Pacing::RealTime);
        const QPersistentModelIndex bubble = addBubble(int(Role::User), trimmed);
        m_chat->setData(bubble, tr("spoken · %1").arg(models::durationText(speech::durationSeconds(pcm->size()))),
            BubbleDelegate::DetailRole);
        if (ui->aloudCheck->isChecked() && ui->aloudCheck->isEnabled())
            playAloud(*pcm);
    } else {
        id = m_client->say(trimmed);
        addBubble(int(Role::User), trimmed);
    }
    m_replies.insert(id, QPersistentModelIndex());
    ++m_turns;
    updateHeader();
}

void SimulatorPage::endSession()
{
    if (!m_client)
        return;
    if (m_state == State::Open) {
        setState(State::Ending);
        m_client->end();
    } else if (m_state == State::Connecting) {
        m_client->abort();
    }
}

void SimulatorPage::sendFromField()
{
    if (m_state != State::Open) {
        sendText(ui->utteranceEdit->text());
        return;
    }
    const QString text = ui->utteranceEdit->text();
    sendText(text);
    if (!text.trimmed().isEmpty())
        ui->utteranceEdit->clear();
}

void SimulatorPage::onStarted(const QString& sessionId)
{
    m_sessionId = sessionId;
    m_sessionClock.start();
    setState(State::Open);
    addBubble(int(Role::System), tr("Session %1 started for %2.").arg(sessionId, m_client->userId()));
    ui->utteranceEdit->setFocus();
    Q_EMIT statusMessage(tr("Session %1 started.").arg(sessionId));
    Q_EMIT sessionStarted(sessionId);
}

void SimulatorPage::onReplied(const QString& replyTo, const QString& content)
{
    const QPersistentModelIndex reply = addBubble(int(Role::Agent), content);
    if (m_replies.contains(replyTo) && !m_replies.value(replyTo).isValid()) {
        m_replies.insert(replyTo, reply);
        m_chat->setData(reply, turnDetail(replyTo), BubbleDelegate::DetailRole);
    }
}

void SimulatorPage::onPersisted(const QString& id)
{
    const QPersistentModelIndex reply = m_replies.value(id);
    if (reply.isValid())
        m_chat->setData(reply, turnDetail(id), BubbleDelegate::DetailRole);
}

QString SimulatorPage::turnDetail(const QString& id) const
{
    const client::Exchange* exchange = m_client ? m_client->exchange(id) : nullptr;
    if (!exchange)
        return {};
    QStringList parts;
    if (exchange->replyUs >= 0)
        parts << tr("reply in %1 ms").arg(qRound(double(exchange->replyUs) / 1000.0));
    if (exchange->persistedUs >= 0)
        parts << tr("saved in %1 ms").arg(qRound(double(exchange->persistedUs) / 1000.0));
    return parts.join(QStringLiteral(" · "));
}

void SimulatorPage::onEnded(const protocol::SessionEnded& ended)
{
    m_sessionMs = m_sessionClock.isValid() ? m_sessionClock.elapsed() : 0;
    addBubble(int(Role::System),
        tr("Session ended after %1 with %n message(s) stored.", nullptr, ended.messages)
            .arg(models::durationText(ended.durationSeconds)));
    Q_EMIT statusMessage(tr("Session %1 ended.").arg(m_sessionId));
    if (!m_endAnnounced && !m_sessionId.isEmpty()) {
        m_endAnnounced = true;
        Q_EMIT sessionEnded(m_sessionId);
    }
}

void SimulatorPage::onFailed(const Error& error)
{
    addBubble(-1, error.message, true);
    Q_EMIT statusMessage(error.message);
}

void SimulatorPage::onClosed()
{
    if (m_sessionClock.isValid() && m_sessionMs == 0 && !m_sessionId.isEmpty())
        m_sessionMs = m_sessionClock.elapsed();
    if (m_client)
        m_client->deleteLater();
    m_client = nullptr;
    setState(State::Idle);
    // A connection lost before session.ended still ends the session on the server.
    if (!m_endAnnounced && !m_sessionId.isEmpty()) {
        m_endAnnounced = true;
        Q_EMIT sessionEnded(m_sessionId);
    }
}

QPersistentModelIndex SimulatorPage::addBubble(int role, const QString& text, bool error)
{
    auto* item = new QStandardItem(text);
    item->setEditable(false);
    item->setData(role, MessagesModel::RoleRole);
    item->setData(error ? QStringLiteral("error") : roleName(Role(role)), MessagesModel::RoleNameRole);
    item->setData(text, MessagesModel::ContentRole);
    item->setData(QDateTime::currentDateTimeUtc(), MessagesModel::CreatedAtRole);
    item->setData(false, MessagesModel::NewRole);
    item->setData(error, BubbleDelegate::ErrorRole);
    m_chat->appendRow(item);
    return QPersistentModelIndex(item->index());
}

void SimulatorPage::setState(State state)
{
    m_state = state;
    const bool server = !m_serverUrl.isEmpty();
    ui->startButton->setEnabled(server && state == State::Idle);
    ui->userEdit->setEnabled(state == State::Idle);
    ui->endButton->setEnabled(state == State::Open || state == State::Connecting);
    ui->sendButton->setEnabled(state == State::Open);
    ui->utteranceEdit->setEnabled(server);
    ui->phrasesButton->setEnabled(server);
    ui->hintLabel->setVisible(!server || state == State::Idle);
    if (!server)
        ui->hintLabel->setText(tr("No server: start one or enter its URL in the connection bar to talk to its agent."));
    else
        ui->hintLabel->setText(tr("Start a session (%1), then type what the user says or pick one of the phrases.")
                                   .arg(ui->startButton->shortcut().toString(QKeySequence::NativeText)));
    if (state == State::Open)
        m_headerClock.start();
    else
        m_headerClock.stop();
    updateHeader();
}

void SimulatorPage::updateHeader()
{
    if (m_state == State::Connecting) {
        ui->headerLabel->setText(tr("Connecting to %1…").arg(m_serverUrl.toDisplayString()));
        ui->headerLabel->setToolTip({});
        return;
    }
    if (m_sessionId.isEmpty()) {
        ui->headerLabel->setText(tr("No session"));
        ui->headerLabel->setToolTip({});
        return;
    }
    const QString state = m_state == State::Open ? tr("active")
        : m_state == State::Ending               ? tr("ending…")
                                                 : tr("ended");
    const qint64 ms = m_state == State::Idle ? m_sessionMs : m_sessionClock.elapsed();
    ui->headerLabel->setText(
        tr("Session %1 · %2 · %n turn(s) · %3", nullptr, m_turns).arg(shortId(m_sessionId), state, clockText(ms)));
    ui->headerLabel->setToolTip(m_sessionId);
}

void SimulatorPage::playAloud(const QByteArray& pcm)
{
    if (m_sink)
        m_sink->stop();
    QAudioFormat format;
    format.setSampleRate(speech::sampleRate);
    format.setChannelCount(1);
    format.setSampleFormat(QAudioFormat::Int16);
    m_aloudBuffer.close();
    m_aloudBuffer.setData(pcm);
    m_aloudBuffer.open(QIODevice::ReadOnly);
    m_sink = std::make_unique<QAudioSink>(QMediaDevices::defaultAudioOutput(), format);
    m_sink->start(&m_aloudBuffer);
}

void SimulatorPage::updateAloud()
{
    const bool device = !QMediaDevices::audioOutputs().isEmpty();
    ui->aloudCheck->setEnabled(device && ui->voiceCheck->isChecked());
    ui->aloudCheck->setToolTip(device ? tr("Also play the speech on this computer while it is sent")
                                      : tr("There is no audio output device: connect speakers or headphones to "
                                           "hear the speech."));
}

} // namespace voxtrack::gui
