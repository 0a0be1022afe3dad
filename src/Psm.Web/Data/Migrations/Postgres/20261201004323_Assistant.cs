using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Psm.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Assistant : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "AssistantConversations",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Token = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    VisitorKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    LastAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    TicketId = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AssistantConversations", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AssistantConversations_Tickets_TicketId",
                        column: x => x.TicketId,
                        principalTable: "Tickets",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "AssistantExchanges",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    ConversationId = table.Column<Guid>(type: "uuid", nullable: false),
                    Question = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    ArticleId = table.Column<Guid>(type: "uuid", nullable: true),
                    Passage = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    Confidence = table.Column<double>(type: "double precision", nullable: false),
                    Answered = table.Column<bool>(type: "boolean", nullable: false),
                    FeedbackId = table.Column<Guid>(type: "uuid", nullable: true),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_AssistantExchanges", x => x.Id);
                    table.ForeignKey(
                        name: "FK_AssistantExchanges_Articles_ArticleId",
                        column: x => x.ArticleId,
                        principalTable: "Articles",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "FK_AssistantExchanges_AssistantConversations_ConversationId",
                        column: x => x.ConversationId,
                        principalTable: "AssistantConversations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_AssistantExchanges_Feedback_FeedbackId",
                        column: x => x.FeedbackId,
                        principalTable: "Feedback",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateIndex(
                name: "IX_AssistantConversations_StartedAt",
                table: "AssistantConversations",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_AssistantConversations_TicketId",
                table: "AssistantConversations",
                column: "TicketId");

            migrationBuilder.CreateIndex(
                name: "IX_AssistantConversations_Token",
                table: "AssistantConversations",
                column: "Token",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_AssistantConversations_VisitorKey_StartedAt",
                table: "AssistantConversations",
                columns: new[] { "VisitorKey", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_AssistantExchanges_ArticleId",
                table: "AssistantExchanges",
                column: "ArticleId");

            migrationBuilder.CreateIndex(
                name: "IX_AssistantExchanges_At",
                table: "AssistantExchanges",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_AssistantExchanges_ConversationId",
                table: "AssistantExchanges",
                column: "ConversationId");

            migrationBuilder.CreateIndex(
                name: "IX_AssistantExchanges_FeedbackId",
                table: "AssistantExchanges",
                column: "FeedbackId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "AssistantExchanges");

            migrationBuilder.DropTable(
                name: "AssistantConversations");
        }
    }
}
