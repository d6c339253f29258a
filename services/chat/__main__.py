from herald.chat.server import main

main()
