// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"

#include <QUrl>
#include <QWidget>

#include <memory>

namespace Ui {
class ConnectionBar;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class ConnectionBar : public QWidget {
    Q_OBJECT

public:
    explicit ConnectionBar(QWidget* parent = nullptr);
    ~ConnectionBar() override;
    enum class State { Disconnected, Connecting, Connected, Refused };
    Q_ENUM(State)
    void connectTo(const QString& serverUrl, const QString& databaseUrl);
    void disconnectAll();
    void focusDatabaseField();
    [[nodiscard]] State databaseState() const { return State::Disconnected; }
    [[nodiscard]] State serverState() const { return State::Disconnected; }
    [[nodiscard]] QString databaseMessage() const { return {}; }
    [[nodiscard]] QString serverMessage() const { return {}; }

Q_SIGNALS:
    void databaseConnected(const voxtrack::DatabaseUrl& url);
    void databaseDisconnected();
    void serverConnected(const QUrl& conversationUrl);
    void serverDisconnected();
    void statusMessage(const QString& message);

private:
    std::unique_ptr<Ui::ConnectionBar> ui;
};

} // namespace voxtrack::gui
