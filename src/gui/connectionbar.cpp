// SPDX-License-Identifier: MIT
#include "gui/connectionbar.h"
#include "ui_connectionbar.h"

#include "gui/connectionprofiles.h"
#include "store/connection.h"
#include "store/schema.h"

#include <QFileInfo>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPainter>
#include <QPromise>
#include <QThreadPool>
#include <QTimer>
#include <qt6keychain/keychain.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>

namespace voxtrack::gui {

namespace {

Q_LOGGING_CATEGORY(lcKeychain, "voxtrack.gui.keychain")

constexpr int serverTimeoutMs = 5000;
constexpr int statusTextWidth = 210;
const auto keychainService = QLatin1String("voxtrack");
const auto conversationPath = QLatin1String("/v1/conversation");

/// What a database probe found, computed on a pool thread.
struct DatabaseProbe {
    Error error;
    QString summary;
};

/// Opens url read-only in the calling thread, checks it has the conversation tables and
/// summarises it ("PostgreSQL 16 · 1,234 sessions"). The connection is closed again before
/// returning, in the thread that opened it.
DatabaseProbe probeDatabase(const DatabaseUrl& url)
{
    DatabaseUrl target = url;
    if (target.isPostgreSql() && target.option(QStringLiteral("connect_timeout")).isEmpty())
        target = target.withOption(QStringLiteral("connect_timeout"), QString::number(serverTimeoutMs / 1000));
    auto connection = store::Connection::open(target, store::Connection::Access::ReadOnly);
    if (!connection)
        return {connection.error(), {}};
    store::Connection& database = **connection;
    const auto schema = store::inspectSchema(database);
    if (!schema)
        return {schema.error(), {}};
    if (!schema->sessions.exists || !schema->messages.exists) {
        const QString plain = takePassword(url.toString()).url;
        return {
            Error {QStringLiteral("inspect.not_conversation_db"),
                ConnectionBar::tr("%1 has no conversation tables: run voxtrack-cli migrate --db %1 to create them, or "
                                  "choose a conversation database.")
                    .arg(plain)},
            {}};
    }
    const auto sessions = database.scalar(QStringLiteral("SELECT count(*) FROM conversation_sessions"));
    if (!sessions)
        return {sessions.error(), {}};
    const int count = int(std::min<qlonglong>(sessions->toLongLong(), std::numeric_limits<int>::max()));
    if (url.isSqlite()) {
        const QString file = url.isInMemory() ? url.sqlitePath() : QFileInfo(url.sqlitePath()).fileName();
        return {{}, ConnectionBar::tr("SQLite · %1 · %Ln session(s)", nullptr, count).arg(file)};
    }
    const auto version = database.scalar(QStringLiteral("SHOW server_version"));
    if (!version)
        return {version.error(), {}};
    // "16.2 (Debian 16.2-1.pgdg120+2)": the major version is what people name.
    const QString major = version->toString().section(u' ', 0, 0).section(u'.', 0, 0);
    return {{}, ConnectionBar::tr("PostgreSQL %1 · %Ln session(s)", nullptr, count).arg(major)};
}

QString shortTextOf(const Error& error)
{
    if (error.code.startsWith(u"url."))
        return ConnectionBar::tr("Invalid URL");
    if (error.code == u"db.auth")
        return ConnectionBar::tr("Login refused");
    if (error.code == u"db.not_found")
        return ConnectionBar::tr("No such database");
    if (error.code == u"db.unreachable")
        return ConnectionBar::tr("Unreachable");
    if (error.code == u"db.tls")
        return ConnectionBar::tr("TLS failed");
    if (error.code == u"db.driver")
        return ConnectionBar::tr("No SQL driver");
    if (error.code == u"inspect.not_conversation_db")
        return ConnectionBar::tr("No conversation tables");
    return ConnectionBar::tr("Refused");
}

QColor colourOf(ConnectionBar::State state, bool warning)
{
    switch (state) {
    case ConnectionBar::State::Disconnected:
        return QColor(0x9e, 0x9e, 0x9e);
    case ConnectionBar::State::Connecting:
        return QColor(0x3d, 0x8e, 0xe0);
    case ConnectionBar::State::Connected:
        return warning ? QColor(0xe0, 0xa0, 0x20) : QColor(0x2e, 0xa0, 0x4f);
    case ConnectionBar::State::Refused:
        return QColor(0xd6, 0x45, 0x45);
    }
    return {};
}

QPixmap dotPixmap(const QColor& colour, qreal devicePixelRatio)
{
    constexpr int size = 10;
    QPixmap pixmap(QSize(size, size) * devicePixelRatio);
    pixmap.setDevicePixelRatio(devicePixelRatio);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(colour.darker(130), 1));
    painter.setBrush(colour);
    painter.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1));
    return pixmap;
}

/// host:port of a server URL, the port defaulted from the scheme.
QString authorityOf(const QUrl& url)
{
    const bool secure = url.scheme() == u"wss" || url.scheme() == u"https";
    const QString host = url.host().contains(u':') ? u'[' + url.host() + u']' : url.host();
    return host + u':' + QString::number(url.port(secure ? 443 : 80));
}

bool isPostgresText(const QString& text)
{
    return text.trimmed().startsWith(QLatin1String("postgres"), Qt::CaseInsensitive);
}

} // namespace

ConnectionBar::ConnectionBar(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::ConnectionBar>())
    , m_network(new QNetworkAccessManager(this))
    , m_healthTimer(new QTimer(this))
{
    qRegisterMetaType<voxtrack::DatabaseUrl>();
    ui->setupUi(this);
    ui->serverStatus->setFixedWidth(statusTextWidth);
    ui->databaseStatus->setFixedWidth(statusTextWidth);
    ui->profileCombo->lineEdit()->setPlaceholderText(tr("Unsaved connection"));
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);

    m_healthTimer->setInterval(healthIntervalMs);
    connect(m_healthTimer, &QTimer::timeout, this, &ConnectionBar::refreshHealth);
    connect(ui->connectButton, &QPushButton::clicked, this, &ConnectionBar::connectFields);
    connect(ui->disconnectButton, &QPushButton::clicked, this, &ConnectionBar::disconnectAll);
    connect(ui->saveProfileButton, &QToolButton::clicked, this, &ConnectionBar::saveProfile);
    connect(ui->deleteProfileButton, &QToolButton::clicked, this, &ConnectionBar::deleteProfile);
    for (QLineEdit* edit : {ui->serverEdit, ui->databaseEdit, ui->passwordEdit})
        connect(edit, &QLineEdit::returnPressed, this, &ConnectionBar::connectFields);
    connect(ui->databaseEdit, &QLineEdit::editingFinished, this, &ConnectionBar::moveTypedPassword);
    connect(ui->databaseEdit, &QLineEdit::textChanged, this, &ConnectionBar::updatePasswordVisibility);
    connect(ui->profileCombo, &QComboBox::activated, this,
        [this](int index) { selectProfile(ui->profileCombo->itemText(index)); });
    connect(ui->profileCombo, &QComboBox::editTextChanged, this, &ConnectionBar::updateButtons);

    setDatabaseState(State::Disconnected, tr("Not connected"), tr("Not connected to a database."));
    setServerState(State::Disconnected, tr("Not connected"), tr("Not connected to a server."));
    reloadProfiles(QString());
    if (const QString last = ConnectionProfiles().lastUsed(); !last.isEmpty())
        selectProfile(last);
    updatePasswordVisibility();
    updateButtons();
}

ConnectionBar::~ConnectionBar()
{
    // Destroying the network manager aborts the reply, whose answer must not reach a half-destroyed bar.
    if (m_serverReply)
        m_serverReply->disconnect(this);
}

void ConnectionBar::connectTo(const QString& serverUrl, const QString& databaseUrl)
{
    // Fields filled by hand: a password still being read for a profile does not belong to them.
    if (m_passwordRead) {
        m_passwordRead->disconnect(this);
        m_passwordRead = nullptr;
    }
    ui->serverEdit->setText(serverUrl.trimmed());
    ui->databaseEdit->setText(databaseUrl.trimmed());
    ui->passwordEdit->clear();
    connectFields();
}

void ConnectionBar::connectFields()
{
    moveTypedPassword();
    ConnectionProfiles profiles;
    if (const QString name = currentProfile(); !name.isEmpty() && profiles.names().contains(name))
        profiles.setLastUsed(name);

    startServerProbe();
    if (m_passwordRead) {
        releaseDatabase();
        m_connectWhenPasswordRead = true;
        setDatabaseState(State::Connecting, tr("Connecting…"),
            tr("Waiting for the system keychain to give the profile's password."));
        return;
    }
    startDatabaseProbe();
}

void ConnectionBar::disconnectAll()
{
    m_connectWhenPasswordRead = false;
    releaseDatabase();
    releaseServer();
    setDatabaseState(State::Disconnected, tr("Not connected"), tr("Not connected to a database."));
    setServerState(State::Disconnected, tr("Not connected"), tr("Not connected to a server."));
}

QString ConnectionBar::currentProfile() const
{
    return ui->profileCombo->currentText().trimmed();
}

bool ConnectionBar::selectProfile(const QString& name)
{
    ConnectionProfiles profiles;
    const auto profile = profiles.profile(name);
    if (!profile)
        return false;
    if (const int index = ui->profileCombo->findText(name); index >= 0)
        ui->profileCombo->setCurrentIndex(index);
    ui->profileCombo->setEditText(name);
    ui->serverEdit->setText(profile->serverUrl);
    ui->databaseEdit->setText(profile->databaseUrl);
    ui->passwordEdit->clear();
    profiles.setLastUsed(name);
    if (m_passwordRead) {
        m_passwordRead->disconnect(this);
        m_passwordRead = nullptr;
    }
    if (isPostgresText(profile->databaseUrl))
        readPassword(name);
    updateButtons();
    return true;
}

void ConnectionBar::saveProfile()
{
    const QString name = currentProfile();
    moveTypedPassword();
    ConnectionProfiles profiles;
    const ConnectionProfile profile {name, ui->serverEdit->text(), ui->databaseEdit->text()};
    if (const Status status = profiles.save(profile); !status.isNull()) {
        Q_EMIT statusMessage(status.message);
        return;
    }
    profiles.setLastUsed(name);
    reloadProfiles(name);

    const QString password = isPostgresText(profile.databaseUrl) ? ui->passwordEdit->text() : QString();
    if (password.isEmpty()) {
        // No stale password may come back with the profile.
        auto* job = new QKeychain::DeletePasswordJob(keychainService);
        job->setKey(name);
        job->start();
        Q_EMIT statusMessage(tr("Saved the profile \"%1\".").arg(name));
        return;
    }
    auto* job = new QKeychain::WritePasswordJob(keychainService);
    job->setKey(name);
    job->setTextData(password);
    connect(job, &QKeychain::Job::finished, this, [this, name](QKeychain::Job* finished) {
        if (finished->error() == QKeychain::NoError)
            Q_EMIT statusMessage(tr("Saved the profile \"%1\"; its password is in the system keychain.").arg(name));
        else if (m_keychainFailureReported)
            Q_EMIT statusMessage(tr("Saved the profile \"%1\" without its password.").arg(name));
        else
            reportKeychainFailure(finished, tr("the password was not saved"));
    });
    job->start();
}

void ConnectionBar::deleteProfile()
{
    const QString name = currentProfile();
    ConnectionProfiles profiles;
    if (!profiles.names().contains(name)) {
        Q_EMIT statusMessage(name.isEmpty() ? tr("Choose the profile to delete first.")
                                            : tr("There is no saved profile \"%1\" to delete.").arg(name));
        return;
    }
    profiles.remove(name);
    auto* job = new QKeychain::DeletePasswordJob(keychainService);
    job->setKey(name);
    job->start();
    reloadProfiles(QString());
    Q_EMIT statusMessage(tr("Deleted the profile \"%1\".").arg(name));
}

void ConnectionBar::focusDatabaseField()
{
    ui->databaseEdit->setFocus(Qt::ShortcutFocusReason);
    ui->databaseEdit->selectAll();
}

void ConnectionBar::startDatabaseProbe()
{
    releaseDatabase();
    const int generation = ++m_databaseGeneration;
    const QString password = isPostgresText(ui->databaseEdit->text()) ? ui->passwordEdit->text() : QString();
    const auto url = databaseUrlWithPassword(ui->databaseEdit->text(), password);
    if (!url) {
        setDatabaseState(State::Refused, shortTextOf(url.error()), url.error().message);
        Q_EMIT statusMessage(url.error().message);
        return;
    }
    setDatabaseState(State::Connecting, tr("Connecting…"), tr("Connecting to %1…").arg(url->toDisplayString()));

    auto promise = std::make_shared<QPromise<DatabaseProbe>>();
    auto* watcher = new QFutureWatcher<DatabaseProbe>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation, target = *url] {
        watcher->deleteLater();
        const DatabaseProbe probe = watcher->result();
        finishDatabaseProbe(generation, target, probe.error, probe.summary);
    });
    watcher->setFuture(promise->future());
    promise->start();
    QThreadPool::globalInstance()->start([promise, target = *url] {
        promise->addResult(probeDatabase(target));
        promise->finish();
    });
}

void ConnectionBar::finishDatabaseProbe(
    int generation, const DatabaseUrl& url, const Error& error, const QString& summary)
{
    if (generation != m_databaseGeneration)
        return; // superseded by a newer Connect, or by Disconnect
    if (!error.isNull()) {
        setDatabaseState(State::Refused, shortTextOf(error), error.message);
        Q_EMIT statusMessage(error.message);
        return;
    }
    m_database = url;
    setDatabaseState(State::Connected, summary, tr("Connected to %1: %2.").arg(url.toDisplayString(), summary));
    Q_EMIT databaseConnected(url);
}

void ConnectionBar::startServerProbe()
{
    releaseServer();
    const QString text = ui->serverEdit->text().trimmed();
    if (text.isEmpty()) {
        setServerState(State::Disconnected, tr("No server"),
            tr("No server: the inspector works with the database alone; give a server URL to drive conversations."));
        return;
    }
    const QUrl given(text, QUrl::StrictMode);
    const QString scheme = given.scheme().toLower();
    const bool webSocket = scheme == u"ws" || scheme == u"wss";
    if (!given.isValid() || given.host().isEmpty() || (!webSocket && scheme != u"http" && scheme != u"https")) {
        const QString message = tr("The server URL \"%1\" is not valid: write it as ws://host:port/v1/conversation "
                                   "or http://host:port.")
                                    .arg(text);
        setServerState(State::Refused, tr("Invalid URL"), message);
        Q_EMIT statusMessage(message);
        return;
    }
    const bool secure = scheme == u"wss" || scheme == u"https";

    QUrl conversation = given.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveFragment);
    conversation.setScheme(secure ? QStringLiteral("wss") : QStringLiteral("ws"));
    if (!webSocket || given.path().isEmpty() || given.path() == u"/") {
        conversation.setPath(conversationPath);
        conversation.setQuery(QString());
    }
    QUrl health = given.adjusted(QUrl::RemoveUserInfo | QUrl::RemoveFragment | QUrl::RemoveQuery);
    health.setScheme(secure ? QStringLiteral("https") : QStringLiteral("http"));
    health.setPath(QStringLiteral("/healthz"));

    setServerState(State::Connecting, tr("Connecting…"), tr("Asking %1 for its health…").arg(authorityOf(given)));
    QNetworkRequest request(health);
    request.setTransferTimeout(serverTimeoutMs);
    QNetworkReply* reply = m_network->get(request);
    m_serverReply = reply;
    connect(
        reply, &QNetworkReply::finished, this, [this, reply, conversation] { finishServerProbe(reply, conversation); });
}

ConnectionBar::HealthAnswer ConnectionBar::readHealth(QNetworkReply* reply, const QUrl& conversationUrl)
{
    const QString where = authorityOf(conversationUrl);
    const QVariant httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const QJsonObject health = QJsonDocument::fromJson(reply->readAll()).object();
    const QString status = health.value(QStringLiteral("status")).toString();
    HealthAnswer answer;
    auto refuse = [&answer](const QString& shortText, const QString& message) {
        answer.refusedShort = shortText;
        answer.refusedMessage = message;
        return answer;
    };
    if (httpStatus.isValid()
        && (reply->error() != QNetworkReply::NoError || (status != u"ok" && status != u"degraded"))) {
        return refuse(tr("Not voxtrackd"),
            tr("%1 answered (HTTP %2), but not as voxtrackd does: check that the server URL points at voxtrackd.")
                .arg(where)
                .arg(httpStatus.toInt()));
    }
    switch (reply->error()) {
    case QNetworkReply::NoError:
        break;
    case QNetworkReply::ConnectionRefusedError:
        return refuse(tr("Refused"),
            tr("Nothing answers at %1: start voxtrackd there (voxtrackd --listen %1), or clear the server URL to work "
               "with the database alone.")
                .arg(where));
    case QNetworkReply::OperationCanceledError:
    case QNetworkReply::TimeoutError:
        return refuse(tr("No answer"),
            tr("The server at %1 did not answer within %2 seconds: check the address, and that voxtrackd is running "
               "there.")
                .arg(where)
                .arg(serverTimeoutMs / 1000));
    case QNetworkReply::HostNotFoundError:
        return refuse(tr("Unknown host"),
            tr("The server host \"%1\" is unknown: check its name in the server URL.").arg(conversationUrl.host()));
    case QNetworkReply::SslHandshakeFailedError:
        return refuse(tr("TLS failed"),
            tr("The TLS handshake with %1 failed (%2): check the server's certificate, or use ws:// for a server "
               "without TLS.")
                .arg(where, reply->errorString()));
    default:
        return refuse(tr("Unreachable"),
            tr("Could not reach the server at %1 (%2): check the server URL, and that voxtrackd is running there.")
                .arg(where, reply->errorString()));
    }
    answer.degraded = status != u"ok";
    answer.liveSessions = health.value(QStringLiteral("sessions")).toInt();
    answer.version = health.value(QStringLiteral("version")).toString();
    return answer;
}

void ConnectionBar::showHealth(const HealthAnswer& health)
{
    const QString where = authorityOf(m_conversationUrl);
    if (!health.degraded) {
        setServerState(State::Connected,
            tr("voxtrackd %1 · %Ln live session(s)", nullptr, health.liveSessions).arg(health.version),
            tr("voxtrackd %1 at %2 is up, with its database: %Ln live session(s).", nullptr, health.liveSessions)
                .arg(health.version, where));
    } else {
        setServerState(State::Connected, tr("voxtrackd %1 · degraded").arg(health.version),
            tr("voxtrackd %1 at %2 answers, but has not reached its database (yet): it keeps what it is sent in its "
               "journal until the database takes it.")
                .arg(health.version, where),
            true);
    }
}

void ConnectionBar::finishServerProbe(QNetworkReply* reply, const QUrl& conversationUrl)
{
    reply->deleteLater();
    if (reply != m_serverReply)
        return;
    m_serverReply = nullptr;
    const HealthAnswer health = readHealth(reply, conversationUrl);
    if (!health.refusedShort.isEmpty()) {
        setServerState(State::Refused, health.refusedShort, health.refusedMessage);
        Q_EMIT statusMessage(health.refusedMessage);
        return;
    }
    m_conversationUrl = conversationUrl;
    m_healthUrl = reply->url();
    m_serverAnswering = true;
    showHealth(health);
    m_healthTimer->start();
    Q_EMIT serverConnected(conversationUrl);
}

void ConnectionBar::refreshHealth()
{
    if (m_serverState != State::Connected || m_serverReply)
        return;
    QNetworkRequest request(m_healthUrl);
    request.setTransferTimeout(serverTimeoutMs);
    QNetworkReply* reply = m_network->get(request);
    m_serverReply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (reply != m_serverReply)
            return;
        m_serverReply = nullptr;
        const HealthAnswer health = readHealth(reply, m_conversationUrl);
        if (health.refusedShort.isEmpty()) {
            m_serverAnswering = true;
            showHealth(health);
            return;
        }
        // Still the server the pages use: it may be restarting. The bar says so, once in the
        // status bar, and comes back by itself when the server answers again.
        const QString message = tr("voxtrackd at %1 stopped answering: %2 The connection is kept; it recovers when "
                                   "the server answers again.")
                                    .arg(authorityOf(m_conversationUrl), health.refusedMessage);
        setServerState(State::Connected, tr("Not answering"), message, true);
        if (std::exchange(m_serverAnswering, false))
            Q_EMIT statusMessage(message);
    });
}

void ConnectionBar::setHealthInterval(int milliseconds)
{
    m_healthTimer->setInterval(milliseconds);
}

void ConnectionBar::setDatabaseState(State state, const QString& shortText, const QString& message)
{
    m_databaseState = state;
    m_databaseMessage = message;
    showState(ui->databaseDot, ui->databaseStatus, state, false, shortText, message);
}

void ConnectionBar::setServerState(State state, const QString& shortText, const QString& message, bool warning)
{
    m_serverState = state;
    m_serverMessage = message;
    showState(ui->serverDot, ui->serverStatus, state, warning, shortText, message);
}

void ConnectionBar::showState(
    QLabel* dot, QLabel* label, State state, bool warning, const QString& shortText, const QString& message)
{
    dot->setPixmap(dotPixmap(colourOf(state, warning), devicePixelRatioF()));
    label->setText(label->fontMetrics().elidedText(shortText, Qt::ElideRight, label->width()));
    // Rich text, so that a long message wraps in the tooltip.
    const QString tip = QStringLiteral("<p>") + message.toHtmlEscaped() + QStringLiteral("</p>");
    dot->setToolTip(tip);
    label->setToolTip(tip);
    label->setAccessibleDescription(message);
    updateButtons();
}

void ConnectionBar::releaseDatabase()
{
    ++m_databaseGeneration;
    m_connectWhenPasswordRead = false;
    const bool wasConnected = m_databaseState == State::Connected;
    m_database.reset();
    m_databaseState = State::Disconnected;
    if (wasConnected)
        Q_EMIT databaseDisconnected();
}

void ConnectionBar::releaseServer()
{
    if (m_serverReply) {
        m_serverReply->disconnect(this);
        m_serverReply->abort();
        m_serverReply->deleteLater();
        m_serverReply = nullptr;
    }
    m_healthTimer->stop();
    const bool wasConnected = m_serverState == State::Connected;
    m_conversationUrl.clear();
    m_serverState = State::Disconnected;
    if (wasConnected)
        Q_EMIT serverDisconnected();
}

void ConnectionBar::moveTypedPassword()
{
    const DatabaseUrlText split = takePassword(ui->databaseEdit->text());
    if (split.password.isEmpty())
        return;
    ui->databaseEdit->setText(split.url);
    ui->passwordEdit->setText(split.password);
}

void ConnectionBar::updatePasswordVisibility()
{
    const bool visible = isPostgresText(ui->databaseEdit->text());
    ui->passwordLabel->setVisible(visible);
    ui->passwordEdit->setVisible(visible);
}

void ConnectionBar::updateButtons()
{
    const QString name = currentProfile();
    ui->saveProfileButton->setEnabled(!name.isEmpty());
    ui->deleteProfileButton->setEnabled(ui->profileCombo->findText(name) >= 0);
    ui->disconnectButton->setEnabled(m_databaseState != State::Disconnected || m_serverState != State::Disconnected);
}

void ConnectionBar::reloadProfiles(const QString& current)
{
    const QSignalBlocker blocker(ui->profileCombo);
    ui->profileCombo->clear();
    ui->profileCombo->addItems(ConnectionProfiles().names());
    ui->profileCombo->setCurrentIndex(ui->profileCombo->findText(current));
    ui->profileCombo->setEditText(current);
    updateButtons();
}

void ConnectionBar::readPassword(const QString& profile)
{
    // Keychain jobs delete themselves when done. Without a parent, one still in flight outlives
    // the bar without calling into it.
    auto* job = new QKeychain::ReadPasswordJob(keychainService);
    job->setKey(profile);
    connect(job, &QKeychain::Job::finished, this, &ConnectionBar::passwordRead);
    m_passwordRead = job;
    job->start();
}

void ConnectionBar::passwordRead(QKeychain::Job* job)
{
    if (job != m_passwordRead)
        return;
    m_passwordRead = nullptr;
    if (job->error() == QKeychain::NoError)
        ui->passwordEdit->setText(static_cast<QKeychain::ReadPasswordJob*>(job)->textData());
    else if (job->error() != QKeychain::EntryNotFound && !m_keychainFailureReported)
        reportKeychainFailure(job, tr("the profile's password was not read"));
    if (std::exchange(m_connectWhenPasswordRead, false))
        startDatabaseProbe();
}

void ConnectionBar::reportKeychainFailure(QKeychain::Job* job, const QString& consequence)
{
    m_keychainFailureReported = true;
    // Without a Secret Service (a server, a session without D-Bus) the backend answers with
    // OtherError and the D-Bus reason: for the user that is "no keychain".
    qCInfo(lcKeychain).noquote() << "keychain job for" << job->key() << "failed:" << job->errorString();
    if (job->error() == QKeychain::AccessDenied || job->error() == QKeychain::AccessDeniedByUser) {
        Q_EMIT statusMessage(
            tr("The system keychain refused access: %1; put it in ~/.pgpass or PGPASSWORD.").arg(consequence));
        return;
    }
    Q_EMIT statusMessage(tr("No system keychain: %1; put it in ~/.pgpass or PGPASSWORD.").arg(consequence));
}

} // namespace voxtrack::gui
