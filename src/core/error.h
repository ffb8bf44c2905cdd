// SPDX-License-Identifier: MIT
#pragma once

#include <QMetaType>
#include <QString>

#include <utility>
#include <variant>

namespace voxtrack {

/// A failure a user can cause or meet: a stable machine-readable code ("url.scheme",
/// "role.invalid", "db.unreachable") and one translated sentence that says what was wrong
/// and what to do about it.
struct Error {
    QString code;
    QString message;

    [[nodiscard]] bool isNull() const { return code.isEmpty(); }
    /// "message [code]", the form printed by the command-line tools.
    [[nodiscard]] QString toString() const { return message + QStringLiteral(" [") + code + u']'; }
};

/// Either a value or an Error. A small stand-in for C++23 std::expected.
template <typename T> class Expected {
public:
    Expected(T value)
        : m_state(std::move(value))
    {
    }
    Expected(Error error)
        : m_state(std::move(error))
    {
    }

    [[nodiscard]] bool hasValue() const { return m_state.index() == 0; }
    explicit operator bool() const { return hasValue(); }

    [[nodiscard]] T& value() & { return std::get<0>(m_state); }
    [[nodiscard]] const T& value() const& { return std::get<0>(m_state); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(m_state)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    [[nodiscard]] const Error& error() const { return std::get<1>(m_state); }
    /// The error as "message [code]", or an empty string when there is a value: safe to
    /// evaluate either way (for test messages and logs).
    [[nodiscard]] QString errorText() const { return hasValue() ? QString() : error().toString(); }

private:
    std::variant<T, Error> m_state;
};

/// An operation that returns nothing but may fail: a null Error is success.
using Status = Error;

} // namespace voxtrack

Q_DECLARE_METATYPE(voxtrack::Error)
