#include "command_docs.h"

#include <strings.h>

#include <iterator>

namespace hakmem::server {
namespace {

// Also lists commands other groups are adding, so their docs exist when they land.
constexpr CommandDoc kDocs[] = {
    // connection
    {"auth", "connection", "1.0.0", "Authenticate to the server", "[username] password"},
    {"client", "connection", "2.4.0", "Inspect, name and kill client connections",
     "ID|GETNAME|SETNAME name|INFO|LIST [TYPE type] [ID id ...]|KILL ...|HELP"},
    {"echo", "connection", "1.0.0", "Echo the given string", "message"},
    {"hello", "connection", "6.0.0", "Handshake: choose RESP2 or RESP3, authenticate, name",
     "[protover [AUTH username password] [SETNAME clientname]]"},
    {"ping", "connection", "1.0.0", "Ping the server", "[message]"},
    {"quit", "connection", "1.0.0", "Close the connection", ""},
    {"select", "connection", "1.0.0", "Change the selected database (only 0 exists)", "index"},
    // server
    {"command", "server", "2.8.13", "Details about commands",
     "[COUNT|INFO [command ...]|DOCS [command ...]|LIST|HELP]"},
    {"config", "server", "2.0.0", "Get or set run-time parameters (hakmem-* are the allocator's)",
     "GET pattern [pattern ...]|SET parameter value [parameter value ...]|RESETSTAT|HELP"},
    {"dbsize", "server", "1.0.0", "Number of keys in the database", ""},
    {"flushall", "server", "1.0.0", "Remove every key", "[ASYNC|SYNC]"},
    {"flushdb", "server", "1.0.0", "Remove every key of the database", "[ASYNC|SYNC]"},
    {"info", "server", "1.0.0", "Information and statistics about the server", "[section ...]"},
    {"memory", "server", "4.0.0", "Memory figures from the allocator's own counters",
     "USAGE key [SAMPLES count]|STATS|DOCTOR|MALLOC-STATS|PURGE|HELP"},
    {"slowlog", "server", "2.2.12", "The log of slow requests", "GET [count]|LEN|RESET|HELP"},
    {"time", "server", "2.6.0", "The server time (seconds, microseconds)", ""},
    // strings
    {"append", "string", "2.0.0", "Append a value to a key", "key value"},
    {"decr", "string", "1.0.0", "Decrement the integer value of a key by one", "key"},
    {"decrby", "string", "1.0.0", "Decrement the integer value of a key", "key decrement"},
    {"get", "string", "1.0.0", "Get the value of a key", "key"},
    {"getdel", "string", "6.2.0", "Get the value of a key and delete the key", "key"},
    {"getset", "string", "1.0.0", "Set a key and return its old value", "key value"},
    {"incr", "string", "1.0.0", "Increment the integer value of a key by one", "key"},
    {"incrby", "string", "1.0.0", "Increment the integer value of a key", "key increment"},
    {"mget", "string", "1.0.0", "Get the values of the given keys", "key [key ...]"},
    {"mset", "string", "1.0.1", "Set several keys to several values", "key value [key value ...]"},
    {"psetex", "string", "2.6.0", "Set a value and its expiry in milliseconds",
     "key milliseconds value"},
    {"set", "string", "1.0.0", "Set the string value of a key",
     "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT "
     "unix-time-milliseconds|KEEPTTL]"},
    {"setex", "string", "2.0.0", "Set a value and its expiry in seconds", "key seconds value"},
    {"setnx", "string", "1.0.0", "Set a key only if it does not exist", "key value"},
    {"strlen", "string", "2.2.0", "Length of the value of a key", "key"},
    // generic
    {"del", "generic", "1.0.0", "Delete keys", "key [key ...]"},
    {"exists", "generic", "1.0.0", "How many of the keys exist", "key [key ...]"},
    {"expire", "generic", "1.0.0", "Set a key's time to live in seconds",
     "key seconds [NX|XX|GT|LT]"},
    {"expireat", "generic", "1.2.0", "Set a key's expiry as a unix time",
     "key unix-time-seconds [NX|XX|GT|LT]"},
    {"keys", "generic", "1.0.0", "Every key matching a pattern", "pattern"},
    {"persist", "generic", "2.2.0", "Remove a key's expiry", "key"},
    {"pexpire", "generic", "2.6.0", "Set a key's time to live in milliseconds",
     "key milliseconds [NX|XX|GT|LT]"},
    {"pexpireat", "generic", "2.6.0", "Set a key's expiry as a unix time in milliseconds",
     "key unix-time-milliseconds [NX|XX|GT|LT]"},
    {"pttl", "generic", "2.6.0", "A key's time to live in milliseconds", "key"},
    {"rename", "generic", "1.0.0", "Rename a key", "key newkey"},
    {"renamenx", "generic", "1.0.0", "Rename a key only if the new name does not exist",
     "key newkey"},
    {"unlink", "generic", "4.0.0", "Delete keys (the memory is freed at once here too)",
     "key [key ...]"},
    {"scan", "generic", "2.8.0", "Iterate the keys",
     "cursor [MATCH pattern] [COUNT count] [TYPE type]"},
    {"ttl", "generic", "1.0.0", "A key's time to live in seconds", "key"},
    {"type", "generic", "1.0.0", "The type of the value stored at a key", "key"},
    {"object", "generic", "2.2.3", "Inspect the internals of a key",
     "ENCODING key|FREQ key|IDLETIME key|REFCOUNT key|HELP"},
    // lists
    {"lindex", "list", "1.0.0", "An element of a list by its index", "key index"},
    {"llen", "list", "1.0.0", "The length of a list", "key"},
    {"lpop", "list", "1.0.0", "Remove and return the first elements of a list", "key [count]"},
    {"lpush", "list", "1.0.0", "Prepend elements to a list", "key element [element ...]"},
    {"lrange", "list", "1.0.0", "A range of elements of a list", "key start stop"},
    {"lrem", "list", "1.0.0", "Remove elements from a list", "key count element"},
    {"ltrim", "list", "1.0.0", "Trim a list to a range", "key start stop"},
    {"rpop", "list", "1.0.0", "Remove and return the last elements of a list", "key [count]"},
    {"rpush", "list", "1.0.0", "Append elements to a list", "key element [element ...]"},
    // hashes
    {"hdel", "hash", "2.0.0", "Delete hash fields", "key field [field ...]"},
    {"hexists", "hash", "2.0.0", "Whether a hash field exists", "key field"},
    {"hget", "hash", "2.0.0", "The value of a hash field", "key field"},
    {"hgetall", "hash", "2.0.0", "Every field and value of a hash", "key"},
    {"hincrby", "hash", "2.0.0", "Increment the integer value of a hash field",
     "key field increment"},
    {"hkeys", "hash", "2.0.0", "Every field of a hash", "key"},
    {"hvals", "hash", "2.0.0", "Every value of a hash", "key"},
    {"hlen", "hash", "2.0.0", "The number of fields of a hash", "key"},
    {"hmget", "hash", "2.0.0", "The values of hash fields", "key field [field ...]"},
    {"hmset", "hash", "2.0.0", "Set hash fields (HSET)", "key field value [field value ...]"},
    {"hset", "hash", "2.0.0", "Set hash fields", "key field value [field value ...]"},
    // sets
    {"sadd", "set", "1.0.0", "Add members to a set", "key member [member ...]"},
    {"scard", "set", "1.0.0", "The number of members of a set", "key"},
    {"sismember", "set", "1.0.0", "Whether a value is a member of a set", "key member"},
    {"smembers", "set", "1.0.0", "Every member of a set", "key"},
    {"spop", "set", "1.0.0", "Remove and return random members of a set", "key [count]"},
    {"srem", "set", "1.0.0", "Remove members from a set", "key member [member ...]"},
    // sorted sets
    {"zadd", "sorted-set", "1.2.0", "Add members to a sorted set, or update their scores",
     "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"},
    {"zcard", "sorted-set", "1.2.0", "The number of members of a sorted set", "key"},
    {"zincrby", "sorted-set", "1.2.0", "Increment the score of a member", "key increment member"},
    {"zpopmin", "sorted-set", "5.0.0", "Remove and return the lowest-scored members",
     "key [count]"},
    {"zrange", "sorted-set", "1.2.0", "A range of members of a sorted set",
     "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"},
    {"zrank", "sorted-set", "2.0.0", "The rank of a member", "key member"},
    {"zrem", "sorted-set", "1.2.0", "Remove members from a sorted set", "key member [member ...]"},
    {"zscore", "sorted-set", "1.2.0", "The score of a member", "key member"},
};

}  // namespace

const CommandDoc* find_command_doc(std::string_view name) {
  for (const CommandDoc& doc : kDocs) {
    if (doc.name.size() == name.size() &&
        strncasecmp(doc.name.data(), name.data(), name.size()) == 0) {
      return &doc;
    }
  }
  return nullptr;
}

}  // namespace hakmem::server
