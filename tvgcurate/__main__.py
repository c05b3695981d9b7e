from tvgcurate.cli import main

main()
