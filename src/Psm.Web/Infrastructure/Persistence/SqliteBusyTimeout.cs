using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// Sets SQLite's <c>busy_timeout</c> on every connection PSM opens. Without it a writer that finds
/// the database locked falls back to Microsoft.Data.Sqlite's own retry, which sleeps 150 ms a time;
/// with it SQLite waits inside the engine and takes the lock as soon as it is free (ADR-013).
/// </summary>
public sealed class SqliteBusyTimeout(int milliseconds) : DbConnectionInterceptor
{
    private readonly string pragma = $"PRAGMA busy_timeout={milliseconds};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        // The pragma is a local call into the engine: no I/O to wait for.
        Apply(connection);
        return Task.CompletedTask;
    }

    private void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = pragma;
        command.ExecuteNonQuery();
    }
}
