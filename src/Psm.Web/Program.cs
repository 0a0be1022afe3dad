using Psm.Web.Data;
using Psm.Web.Infrastructure;

if (args is ["backup", ..])
{
    return await Psm.Web.Infrastructure.Persistence.DatabaseBackup.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPsm();
var app = builder.Build();

try
{
    await app.InitializePsmAsync();
}
catch (StartupException e)
{
    Console.Error.WriteLine($"PSM cannot start: {e.Message}");
    return 1;
}

app.UsePsm();
await app.RunAsync();
return 0;

public partial class Program;
