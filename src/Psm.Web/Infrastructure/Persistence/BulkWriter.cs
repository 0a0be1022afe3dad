using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Storage.Internal.Mapping;
using Psm.Web.Data;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// Streams new rows of one entity type into its table inside the caller's transaction: binary COPY
/// on PostgreSQL, one prepared INSERT on SQLite. Columns and value conversions come from the EF
/// model, so the rows are exactly what SaveChanges would have written.
/// </summary>
public abstract class BulkWriter<T> : IAsyncDisposable where T : class
{
    protected BulkWriter(IEntityType entityType)
    {
        Table = entityType.GetTableName()!;
        var table = StoreObjectIdentifier.Table(Table, entityType.GetSchema());
        Columns = entityType.GetProperties()
            .Select(p => new Column(p.GetColumnName(table)!, p.GetGetter(), (RelationalTypeMapping)p.GetTypeMapping()))
            .ToArray();
    }

    protected string Table { get; }
    protected Column[] Columns { get; }

    public static BulkWriter<T> Open(PsmDb db)
    {
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A bulk write must run inside a transaction.");
        var entityType = db.Model.FindEntityType(typeof(T))
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not part of the model.");
        return transaction.Connection switch
        {
            NpgsqlConnection npgsql => new CopyWriter(entityType, npgsql),
            SqliteConnection => new InsertWriter(entityType, transaction),
            _ => throw new NotSupportedException("Bulk writes support SQLite and PostgreSQL."),
        };
    }

    public abstract ValueTask WriteAsync(T entity, CancellationToken ct);

    /// <summary>Flushes what was written; without it the rows are discarded.</summary>
    public abstract ValueTask CompleteAsync(CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    protected sealed record Column(string Name, IClrPropertyGetter Getter, RelationalTypeMapping Mapping)
    {
        public object? ProviderValue(T entity)
        {
            var value = Getter.GetClrValue(entity);
            return value is null ? null : Mapping.Converter?.ConvertToProvider(value) ?? value;
        }
    }

    private sealed class CopyWriter : BulkWriter<T>
    {
        private readonly NpgsqlConnection connection;
        private NpgsqlBinaryImporter? importer;

        public CopyWriter(IEntityType entityType, NpgsqlConnection connection) : base(entityType) =>
            this.connection = connection;

        public override async ValueTask WriteAsync(T entity, CancellationToken ct)
        {
            importer ??= await connection.BeginBinaryImportAsync(
                $"COPY \"{Table}\" ({string.Join(", ", Columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)", ct);

            // Synchronous writes fill Npgsql's buffer in memory and only touch the socket when it is
            // full; the async overloads cost a state machine per field and halve COPY's throughput.
            importer.StartRow();
            foreach (var column in Columns)
            {
                var value = column.ProviderValue(entity);
                if (value is null)
                {
                    importer.WriteNull();
                }
                else if (column.Mapping is INpgsqlTypeMapping npgsql)
                {
                    importer.Write(value, npgsql.NpgsqlDbType);
                }
                else
                {
                    importer.Write(value, column.Mapping.StoreType);
                }
            }
        }

        public override async ValueTask CompleteAsync(CancellationToken ct)
        {
            if (importer is not null)
            {
                await importer.CompleteAsync(ct);
            }
        }

        public override async ValueTask DisposeAsync()
        {
            if (importer is not null)
            {
                await importer.DisposeAsync();
            }
        }
    }

    private sealed class InsertWriter : BulkWriter<T>
    {
        private readonly DbCommand command;

        public InsertWriter(IEntityType entityType, DbTransaction transaction) : base(entityType)
        {
            command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText =
                $"INSERT INTO \"{Table}\" ({string.Join(", ", Columns.Select(c => $"\"{c.Name}\""))}) " +
                $"VALUES ({string.Join(", ", Columns.Select((_, i) => $"@p{i}"))})";
            for (var i = 0; i < Columns.Length; i++)
            {
                command.Parameters.Add(Columns[i].Mapping.CreateParameter(command, $"@p{i}", null));
            }

            command.Prepare();
        }

        public override async ValueTask WriteAsync(T entity, CancellationToken ct)
        {
            for (var i = 0; i < Columns.Length; i++)
            {
                command.Parameters[i].Value = Columns[i].ProviderValue(entity) ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync(ct);
        }

        public override ValueTask CompleteAsync(CancellationToken ct) => ValueTask.CompletedTask;

        public override ValueTask DisposeAsync() => command.DisposeAsync();
    }
}
